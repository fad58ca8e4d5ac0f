// The Decisions page's live stream: new decisions arrive as server-sent
// events and are prepended to the table. Nothing else needs JavaScript.
"use strict";
(function () {
  var table = document.getElementById("decisions");
  if (!table || !window.EventSource) { return; }
  var body = table.tBodies[0];
  var live = document.getElementById("live");
  var after = 0;
  Array.prototype.forEach.call(body.rows, function (tr) {
    after = Math.max(after, Number(tr.getAttribute("data-seq")) || 0);
  });
  var url = table.getAttribute("data-stream");
  url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + after;
  var es = new EventSource(url);
  function cell(tr, text, code) {
    var td = document.createElement("td");
    if (code) { var c = document.createElement("code"); c.textContent = text; td.appendChild(c); } else { td.textContent = text; }
    tr.appendChild(td);
  }
  es.onopen = function () { live.textContent = "Live: following new decisions."; };
  es.onmessage = function (ev) {
    var r = JSON.parse(ev.data);
    var tr = document.createElement("tr");
    tr.className = r.decision;
    tr.setAttribute("data-seq", r.seq);
    var t = new Date(r.time);
    cell(tr, t.toTimeString().slice(0, 8));
    cell(tr, r.decision);
    cell(tr, r.code || "", true);
    cell(tr, r.arn || "", true);
    cell(tr, r.username || "");
    cell(tr, (r.groups || []).join(", "));
    cell(tr, r.error || "");
    body.insertBefore(tr, body.firstChild);
  };
  es.addEventListener("failure", function (ev) { live.textContent = "Live stream failed: " + ev.data; es.close(); });
  es.onerror = function () { live.textContent = "Live: reconnecting…"; };
})();
