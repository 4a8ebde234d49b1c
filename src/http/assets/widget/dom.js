function el(tag, attrs, text) {
  var node = document.createElement(tag);
  if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text != null) node.textContent = text;
  return node;
}

/* A phone number the service wrote becomes a tel: link, an address a link (built here,
 * never from markup): a staff member on a phone calls the call center in one tap. */
var LINKS = /(?<![\d-])(0\d{1,4}-\d{2,4}-?\d{3,4})(?!\d)|(https?:\/\/[^\s）」』、。]+)/g;
function linked(node, text) {
  node.textContent = "";
  var at = 0, m;
  LINKS.lastIndex = 0;
  while ((m = LINKS.exec(text))) {
    if (m.index > at) node.appendChild(document.createTextNode(text.slice(at, m.index)));
    node.appendChild(m[1]
      ? el("a", { href: "tel:" + m[1].replace(/-/g, "") }, m[1])
      : el("a", { href: m[2], target: "_blank", rel: "noopener" }, m[2]));
    at = m.index + m[0].length;
  }
  if (at < text.length) node.appendChild(document.createTextNode(text.slice(at)));
  return node;
}

/* When a person wrote: the hour and minute on the user's clock. */
function stamp(at) {
  var shown = at.toLocaleTimeString(language === "ja" ? "ja-JP" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  return el("time", { datetime: at.toISOString() }, shown);
}
