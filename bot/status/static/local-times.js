// The status page's times in the reader's own zone, beside the UTC the page is rendered in.
// Served from this site (the page's Content-Security-Policy allows script from 'self' only);
// without JavaScript the page reads the same, in UTC.
(function () {
  "use strict";
  var format;
  try {
    format = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short"
    });
  } catch (e) {
    return;
  }
  var zone = format.resolvedOptions().timeZone;
  if (!zone || zone === "UTC" || zone === "Etc/UTC") {
    return; // the page already says it
  }
  document.querySelectorAll("time[datetime]").forEach(function (element) {
    var at = new Date(element.getAttribute("datetime"));
    if (isNaN(at.getTime())) {
      return;
    }
    var local = document.createElement("span");
    local.className = "local";
    local.textContent = " (" + format.format(at) + ", your time)";
    element.after(local);
  });
})();
