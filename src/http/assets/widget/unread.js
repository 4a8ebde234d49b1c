/* The newest message shown (what a person or the service wrote; the rest has no id). */
Chat.prototype.newestId = function () {
  var ids = Array.prototype.map.call(this.log.querySelectorAll("[data-id]"), function (n) {
    return Number(n.getAttribute("data-id"));
  });
  return ids.length ? Math.max.apply(null, ids) : null;
};

/* The open panel shows everything: nothing is unread any more. */
Chat.prototype.markSeen = function () {
  var newest = this.newestId();
  if (newest != null) {
    try { localStorage.setItem(SEEN_KEY, String(newest)); } catch (e) { /* storage blocked */ }
  }
  this.unread = 0;
  this.showUnread(null);
  this.stopFlash();
};

/* The unread count on the bubble (and in its name), and `m`, the latest, beside it. */
Chat.prototype.showUnread = function (m) {
  this.badge.hidden = !this.unread;
  this.badge.textContent = this.unread ? String(this.unread) : "";
  var count = this.unread ? t("unread", this.unread) : "";
  this.bubble.setAttribute("aria-label", t("open") + (!count ? "" : language === "ja" ? "（" + count + "）" : " (" + count + ")"));
  if (!this.unread) {
    this.preview.hidden = true;
    return;
  }
  if (m) {
    this.preview.textContent = "";
    if (m.role === "agent") this.preview.appendChild(el("span", { "class": "who" }, m.author || t("agent")));
    this.preview.appendChild(el("span", { lang: languageOf(m.text) }, m.text));
    this.preview.hidden = false;
  }
};

/* A person's message (or the service's word about one) arrived. Unseen — the panel
 * closed or the page hidden — it is counted on the bubble; on a hidden page the tab's
 * title flashes and a short tone plays, as messengers do. */
Chat.prototype.notify = function (m) {
  if (!this.panel.hidden && !document.hidden) {
    this.markSeen();
    return;
  }
  if (this.panel.hidden) {
    this.unread += 1;
    this.showUnread(m);
  }
  if (document.hidden) {
    this.flashTitle();
    this.chime();
  }
};

Chat.prototype.flashTitle = function () {
  var self = this;
  if (this.flashing) return;
  this.pageTitle = document.title;
  var on = false;
  var flip = function () {
    on = !on;
    document.title = on ? "(" + Math.max(self.unread, 1) + ") " + t("newReply") : self.pageTitle;
  };
  flip();
  this.flashing = setInterval(flip, 1000);
};

Chat.prototype.stopFlash = function () {
  if (!this.flashing) return;
  clearInterval(this.flashing);
  this.flashing = null;
  document.title = this.pageTitle;
};

/* A browser lets a page sound only after the user did something in it: the audio
 * context is made when they send, so a reply can chime later. */
Chat.prototype.primeAudio = function () {
  var Context = window.AudioContext || window.webkitAudioContext;
  if (this.audio || !Context) return;
  try { this.audio = new Context(); } catch (e) { /* no sound */ }
};

Chat.prototype.chime = function () {
  var audio = this.audio;
  if (!audio) return;
  try {
    var tone = audio.createOscillator(), gain = audio.createGain(), now = audio.currentTime;
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start(now);
    tone.stop(now + 0.3);
  } catch (e) { /* no sound */ }
};
