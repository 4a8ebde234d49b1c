/* The sources as a checklist, one group per notice, narrowed by typing; the chosen ones
 * above it as chips (× takes one off). A click never drops the others. */
function sourcesList(chosen) {
  var list = $("f-sources-list");
  list.textContent = "";
  var groups = {};
  var item = function (ref, label) {
    var row = el("label", { "class": "check" });
    var box = el("input", { type: "checkbox", value: ref });
    box.checked = chosen.indexOf(ref) >= 0;
    row.appendChild(box);
    row.appendChild(document.createTextNode(label));
    return row;
  };
  citable.forEach(function (c) {
    if (!groups[c.document]) {
      groups[c.document] = list.appendChild(el("div", { "class": "group" }));
      groups[c.document].appendChild(el("p", { "class": "doc" }, c.document));
    }
    groups[c.document].appendChild(item(c.ref, c.heading + "（" + c.ref + "）"));
  });
  chosen.forEach(function (ref) {
    if (!citable.some(function (c) { return c.ref === ref; })) list.appendChild(item(ref, ref + "（公開中の通知にありません）"));
  });
  $("f-sources-filter").value = "";
  showChosen();
}

function chosenSources() {
  return Array.prototype.filter.call(document.querySelectorAll("#f-sources-list input"), function (b) { return b.checked; })
    .map(function (b) { return b.value; });
}

function showChosen() {
  var chips = $("f-sources-chosen");
  chips.textContent = "";
  chosenSources().forEach(function (ref) {
    var off = el("button", { type: "button", "class": "chip", "aria-label": ref + " を出典から外す" }, ref + " ×");
    off.addEventListener("click", function () {
      var box = document.querySelector('#f-sources-list input[value="' + CSS.escape(ref) + '"]');
      if (box) { box.checked = false; box.dispatchEvent(new Event("change", { bubbles: true })); }
    });
    chips.appendChild(off);
  });
  if (!chips.childElementCount) chips.appendChild(el("span", { "class": "none" }, "（出典が選ばれていません）"));
}

function filterSources() {
  var words = $("f-sources-filter").value.trim().toLowerCase();
  Array.prototype.forEach.call(document.querySelectorAll("#f-sources-list .check"), function (row) {
    row.hidden = !!words && row.textContent.toLowerCase().indexOf(words) < 0;
  });
}

function formFields() {
  var en = { title: $("f-en-title").value, questions: lines($("f-en-questions").value), answer: $("f-en-answer").value };
  return {
    id: $("f-id").value, title: $("f-title").value, questions: lines($("f-questions").value),
    answer: $("f-answer").value,
    sources: chosenSources(),
    tags: $("f-tags").value.split(/[\s,、]+/).filter(Boolean),
    valid_from: $("f-from").value || null, valid_until: $("f-until").value || null,
    english: en.title.trim() || en.answer.trim() || en.questions.length ? en : null
  };
}

/* The form written into the file, then checked. */
function writeForm() {
  clearTimeout(formTimer); formTimer = null;
  writing = api("POST", "/admin/api/faq/write", { text: $("edit-text").value, form: formFields() }).then(function (j) {
    if (j.problem) { $("edit-state").textContent = j.problem; return; }
    $("edit-text").value = j.text;
    check();
  }).catch(function (e) { say(e.message); });
  return writing;
}
