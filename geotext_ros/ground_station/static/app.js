// geotext ground station page: one websocket to the server that served this page (same origin).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let ws = null, frameSeq = -1, last = null, loading = false;

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/ws`);
    ws.onopen = () => { $("link").textContent = "online"; $("link").className = "link up"; };
    ws.onclose = () => { $("link").textContent = "offline"; $("link").className = "link down"; setTimeout(connect, 1000); };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === "snapshot") { last = msg; render(msg); }
      else if (msg.type === "sent") feedback(`sent: ${msg.text}`, false);
      else if (msg.type === "rejected") feedback(`not sent: ${msg.reason}`, true);
    };
  }

  function send(obj) {
    if (!ws || ws.readyState !== WebSocket.OPEN) { feedback("not connected", true); return; }
    ws.send(JSON.stringify(obj));
  }

  function feedback(text, bad) { const f = $("feedback"); f.textContent = text; f.className = bad ? "feedback bad" : "feedback"; }

  function render(s) {
    const st = s.status || {};
    const state = st.state || "—";
    $("state").textContent = state; $("state").className = "state " + state;
    $("state").dataset.state = state;
    $("reason").textContent = st.error ? `${st.reason || ""} ${st.error}` : (st.reason || "");
    if (s.frame_seq !== frameSeq && s.frame_seq > 0 && !loading) {
      loading = true;
      const img = $("camera"), seq = s.frame_seq;
      img.onload = img.onerror = () => { loading = false; };
      img.src = `/frame.jpg?seq=${seq}`;
      img.dataset.seq = String(seq);
      frameSeq = seq;
      $("frame-info").textContent = `(${s.frame_source}, frame ${seq})`;
    }
    drawTimeline(s.timeline || []);
    drawCandidates(st);
    drawOverlay(st);
    drawMap(s);
    if (s.pose) document.body.dataset.pose = s.pose.map((v) => v.toFixed(2)).join(",");
  }

  function drawTimeline(items) {
    const ol = $("timeline");
    ol.replaceChildren(...items.slice().reverse().map((e) => {
      const li = document.createElement("li");
      const t = document.createElement("span"); t.className = "t"; t.textContent = new Date(e.t * 1000).toLocaleTimeString();
      const s = document.createElement("span"); s.className = "s"; s.textContent = e.state || "";
      const r = document.createElement("span"); r.textContent = e.reason || "";
      li.append(t, s, r);
      if (e.instruction) { const i = document.createElement("em"); i.textContent = ` — “${e.instruction}”`; li.append(i); }
      return li;
    }));
  }

  let candKey = "";
  function drawCandidates(st) {
    const box = $("candidates"), cands = Array.isArray(st.candidates) ? st.candidates : [];
    const key = JSON.stringify([st.state, cands]);
    if (key === candKey) return;   // rebuilt only when they change: a button stays put while it is clicked
    candKey = key;
    box.hidden = cands.length === 0;
    const label = document.createElement("span");
    label.textContent = st.state === "CLARIFY" ? "Which one?" : "Candidates:";
    box.replaceChildren(label, ...cands.map((c, i) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "candidate"; b.dataset.index = String(i + 1);
      const score = c && typeof c.score === "number" ? ` (${c.score.toFixed(2)})` : "";
      b.textContent = `${i + 1}${c && c.label ? ": " + c.label : ""}${score}`;
      b.onclick = () => send({ type: "choose", index: i + 1 });
      return b;
    }));
  }

  // The numbers of the candidate buttons on the camera frame (boxes are normalized cx, cy, w, h).
  function drawOverlay(st) {
    const c = $("overlay"), g = c.getContext("2d"), W = c.width, H = c.height;
    const cands = Array.isArray(st.candidates) ? st.candidates : [];
    g.clearRect(0, 0, W, H);
    let n = 0;
    cands.forEach((cand, i) => {
      const b = cand && cand.box;
      if (!Array.isArray(b) || b.length < 4) return;
      const x = (b[0] - b[2] / 2) * W, y = (b[1] - b[3] / 2) * H;
      g.strokeStyle = "#fff"; g.setLineDash([5, 3]); g.lineWidth = 2;
      g.strokeRect(x, y, b[2] * W, b[3] * H); g.setLineDash([]);
      g.fillStyle = "#fd3"; g.beginPath(); g.arc(x + 12, y + 12, 11, 0, 7); g.fill();
      g.fillStyle = "#000"; g.font = "bold 14px sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
      g.fillText(String(i + 1), x + 12, y + 13);
      n += 1;
    });
    g.textAlign = "start"; g.textBaseline = "alphabetic";
    c.dataset.labels = String(n);
  }

  function bounds(s) {
    // zoom on where things are (places, flight, target); the geofence only when there is nothing else
    const pts = [];
    const m = s.map || {};
    (m.places || []).forEach((p) => pts.push([p.x, p.y]));
    (s.trajectory || []).forEach((p) => pts.push(p));
    (m.candidates || []).forEach((p) => pts.push(p));
    if (s.pose) pts.push([s.pose[0], s.pose[1]]);
    if (m.target) pts.push(m.target);
    if (m.waypoint) pts.push(m.waypoint.slice(0, 2));
    if (pts.length === 0) (m.geofence || []).forEach((p) => pts.push(p));
    if (pts.length === 0) pts.push([-50, -50], [50, 50]);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    pts.forEach(([x, y]) => { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); });
    const span = Math.max(x1 - x0, y1 - y0, 60) * 1.15 + 10, cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    return { cx, cy, span };
  }

  function drawMap(s) {
    const c = $("map"), g = c.getContext("2d"), W = c.width, H = c.height, m = s.map || {};
    const b = bounds(s), k = Math.min(W, H) / b.span;
    const P = (x, y) => [W / 2 + (x - b.cx) * k, H / 2 - (y - b.cy) * k];   // ENU: north up
    g.clearRect(0, 0, W, H);
    // 50 m grid
    g.strokeStyle = "#1e252c"; g.lineWidth = 1;
    const step = b.span > 400 ? 100 : b.span > 150 ? 50 : 10, gx0 = Math.floor((b.cx - b.span) / step) * step;
    for (let v = gx0; v < b.cx + b.span; v += step) {
      let [x] = P(v, 0); g.beginPath(); g.moveTo(x, 0); g.lineTo(x, H); g.stroke();
    }
    const gy0 = Math.floor((b.cy - b.span) / step) * step;
    for (let v = gy0; v < b.cy + b.span; v += step) {
      let [, y] = P(0, v); g.beginPath(); g.moveTo(0, y); g.lineTo(W, y); g.stroke();
    }
    if ((m.geofence || []).length > 2) {
      g.strokeStyle = "#c4c"; g.setLineDash([6, 4]); g.beginPath();
      m.geofence.forEach(([x, y], i) => { const [u, v] = P(x, y); i ? g.lineTo(u, v) : g.moveTo(u, v); });
      g.closePath(); g.stroke(); g.setLineDash([]);
    }
    g.font = "11px sans-serif";
    (m.places || []).forEach((p) => {
      const [u, v] = P(p.x, p.y);
      g.fillStyle = "#556"; g.fillRect(u - 5, v - 5, 10, 10);
      g.fillStyle = "#aab"; g.fillText(p.id, u + 7, v + 4);
    });
    const traj = s.trajectory || [];
    if (traj.length > 1) {
      g.strokeStyle = "#2a8"; g.lineWidth = 2; g.beginPath();
      traj.forEach(([x, y], i) => { const [u, v] = P(x, y); i ? g.lineTo(u, v) : g.moveTo(u, v); });
      g.stroke(); g.lineWidth = 1;
    }
    (m.candidates || []).forEach(([x, y]) => { const [u, v] = P(x, y); g.strokeStyle = "#f93"; g.beginPath(); g.arc(u, v, 5, 0, 7); g.stroke(); });
    (m.anchors || []).forEach(([x, y]) => { const [u, v] = P(x, y); g.strokeStyle = "#48f"; g.strokeRect(u - 4, v - 4, 8, 8); });
    if (m.waypoint) { const [u, v] = P(m.waypoint[0], m.waypoint[1]); g.strokeStyle = "#fd3"; g.lineWidth = 2; g.beginPath(); g.arc(u, v, 7, 0, 7); g.stroke(); g.lineWidth = 1; }
    if (m.target) {
      const [u, v] = P(m.target[0], m.target[1]); g.strokeStyle = "#f44"; g.lineWidth = 3;
      g.beginPath(); g.moveTo(u - 7, v - 7); g.lineTo(u + 7, v + 7); g.moveTo(u + 7, v - 7); g.lineTo(u - 7, v + 7); g.stroke(); g.lineWidth = 1;
    }
    if (s.pose) {
      const [x, y, z, yaw] = s.pose, [u, v] = P(x, y);
      g.save(); g.translate(u, v); g.rotate(-yaw);
      g.fillStyle = "#4af"; g.beginPath(); g.moveTo(11, 0); g.lineTo(-7, 6); g.lineTo(-7, -6); g.closePath(); g.fill();
      g.restore();
      g.fillStyle = "#9cf"; g.fillText(`(${x.toFixed(1)}, ${y.toFixed(1)}) ${z.toFixed(0)} m`, 6, H - 8);
    }
    g.fillStyle = "#777"; g.fillText(`grid ${step} m`, W - 60, H - 8);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-command]").forEach((b) => { b.onclick = () => send({ type: "command", name: b.dataset.command }); });
    $("say").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = $("instruction").value.trim();
      if (!text) { feedback("type what the drone should do", true); return; }
      send({ type: "instruction", text });
    });
    connect();
  });
})();
