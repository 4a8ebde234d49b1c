var SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  var node = document.createElementNS(SVG, tag);
  Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text != null) node.textContent = text;
  return node;
}

/* The three daily rates in one line chart: a percent axis with grid lines, dates under it,
 * each point's value on hover and to screen readers, and a legend with the last value.
 * Lines differ in colour and in dash, so they can be told apart without colour. */
/* Each rate with what it is a share of (`of`: the day's counts behind it). */
var SERIES = [
  { key: "answer_rate", label: "回答率", color: "#00467f", dash: "",
    of: function (d) { return d.answered + "/" + (d.answered + d.no_answer + d.handoff) + "件"; } },
  { key: "handoff_rate", label: "引き継ぎ率", color: "#a61b1b", dash: "6 3",
    of: function (d) { return d.tickets + "/" + d.questions + "件"; } },
  { key: "up_rate", label: "👍率", color: "#1e7b34", dash: "2 3",
    of: function (d) { return d.up + "/" + (d.up + d.down) + "件"; } }
];

function chart(days) {
  var box = $("chart");
  box.textContent = "";
  /* `right` leaves room for the last date's label, centred on the last day. */
  var W = 720, H = 240, left = 44, right = 30, top = 12, bottom = 36;
  var x = function (i) { return left + (days.length < 2 ? 0 : i * (W - left - right) / (days.length - 1)); };
  var y = function (v) { return top + (1 - v) * (H - top - bottom); };
  var pic = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "chart-title" });
  [0, 0.25, 0.5, 0.75, 1].forEach(function (v) {
    pic.appendChild(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), "class": "grid" }));
    pic.appendChild(svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "class": "tick" }, Math.round(v * 100) + "%"));
  });
  /* Each day's number of questions as a grey bar (up to a third of the height): a rate
   * over 2 questions is not one over 200. */
  var most = Math.max.apply(null, days.map(function (d) { return d.questions; }).concat([1]));
  days.forEach(function (d, i) {
    if (!d.questions) return;
    var h = d.questions / most * (H - top - bottom) / 3;
    var bar = svg("rect", { x: x(i) - 4, y: H - bottom - h, width: 8, height: h, "class": "volume" });
    bar.appendChild(svg("title", {}, d.date + ": 質問 " + d.questions + "件"));
    pic.appendChild(bar);
  });
  var every = Math.max(1, Math.ceil(days.length / 8));
  days.forEach(function (d, i) {
    /* Every `every` days and the last one, leaving out a label too near the last. */
    var fromLast = days.length - 1 - i;
    if (fromLast && (i % every || fromLast < every / 2)) return;
    pic.appendChild(svg("text", { x: x(i), y: H - bottom + 16, "text-anchor": "middle", "class": "tick" }, d.date.slice(5).replace("-", "/")));
  });
  pic.appendChild(svg("text", { x: W - right, y: H - 4, "text-anchor": "end", "class": "tick" }, "日付（日本時間）"));
  var legend = el("ul", { "class": "legend" });
  SERIES.forEach(function (s) {
    var points = [], last = null;
    days.forEach(function (d, i) {
      var v = d[s.key];
      if (v == null) return;
      points.push(x(i) + "," + y(v));
      last = { date: d.date, v: v };
      var dot = svg("circle", { cx: x(i), cy: y(v), r: 3.5, fill: s.color });
      dot.appendChild(svg("title", {}, s.label + " " + d.date + ": " + Math.round(v * 100) + "%（" + s.of(d) + "）"));
      pic.appendChild(dot);
    });
    if (points.length > 1) {
      pic.insertBefore(svg("polyline", { points: points.join(" "), fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash }), pic.firstChild.nextSibling);
    }
    var item = el("li");
    var key = svg("svg", { width: 28, height: 10, "aria-hidden": "true" });
    key.appendChild(svg("line", { x1: 0, x2: 28, y1: 5, y2: 5, stroke: s.color, "stroke-width": 3, "stroke-dasharray": s.dash }));
    item.appendChild(key);
    item.appendChild(document.createTextNode(s.label + (last ? "（" + last.date.slice(5).replace("-", "/") + ": " + Math.round(last.v * 100) + "%）" : "（データなし）")));
    legend.appendChild(item);
  });
  box.appendChild(el("figcaption", { id: "chart-title" }, "日別の回答率・引き継ぎ率・👍率（" + days[0].date + "〜" + days[days.length - 1].date + "）"));
  var volume = el("li");
  var swatch = svg("svg", { width: 28, height: 10, "aria-hidden": "true" });
  swatch.appendChild(svg("rect", { x: 10, y: 0, width: 8, height: 10, "class": "volume" }));
  volume.appendChild(swatch);
  var total = days.reduce(function (n, d) { return n + d.questions; }, 0);
  volume.appendChild(document.createTextNode("質問数（棒。期間中 " + total + "件、1日の最多 " + most + "件）"));
  legend.appendChild(volume);
  box.appendChild(pic);
  box.appendChild(legend);
}

function loadAnalytics() {
  var days = $("days").value;
  $("csv").href = "/admin/api/analytics.csv?days=" + days;
  api("GET", "/admin/api/analytics?days=" + days).then(function (j) {
    chart(j.days);
    var body = $("unanswered-body");
    body.textContent = "";
    j.unanswered.forEach(function (g) {
      var row = el("tr");
      row.appendChild(el("td", null, String(g.count)));
      row.appendChild(el("td", null, "回答なし " + g.reasons.no_answer + " ／ 👎 " + g.reasons.down));
      row.appendChild(el("td", null, g.examples.join(" ／ ")));
      var make = el("button", { type: "button" }, "FAQを作る");
      make.addEventListener("click", function () { newFaq({ question: g.examples[0] }); });
      var cell = el("td"); cell.appendChild(make); row.appendChild(cell);
      body.appendChild(row);
    });
    var disliked = $("disliked-body");
    disliked.textContent = "";
    j.disliked.forEach(function (d) {
      var row = el("tr");
      [shikakuConsole.japanTime(d.at), d.question, d.answer, d.comment || "—"].forEach(function (v) { row.appendChild(el("td", null, v)); });
      var fix = el("button", { type: "button" }, "この回答を直す");
      fix.addEventListener("click", function () { newFaq(d); });
      var cell = el("td"); cell.appendChild(fix); row.appendChild(cell);
      disliked.appendChild(row);
    });
    if (!j.disliked.length) { var none = el("tr"); none.appendChild(el("td", { colspan: "5" }, "この期間に 👎 はありません。")); disliked.appendChild(none); }
    var top = $("top-body");
    top.textContent = "";
    j.top.forEach(function (t) {
      var row = el("tr");
      row.appendChild(el("td", null, String(t.count)));
      row.appendChild(el("td", null, t.question));
      top.appendChild(row);
    });
  }).catch(function (e) { say(e.message); });
}
