/* The element owns its chat: made the first time the element is put in the page; taken
 * out, its event stream closes and the title stops flashing; put back, it listens again. */
customElements.define("shikaku-chat", class extends HTMLElement {
  connectedCallback() {
    if (this.chat) { this.chat.resume(); return; }
    this.setAttribute("data-position", opts.position);
    this.chat = new Chat(this.attachShadow({ mode: "open" }));
  }
  disconnectedCallback() {
    if (this.chat) this.chat.pause();
  }
});
function mount() { document.body.appendChild(document.createElement("shikaku-chat")); }
if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
