// Content script: finds the images on the page, has a Web Worker run EdgeMark on each, and
// marks the flagged ones: a red outline, an "AI" badge on the image's top-left corner whose
// hover card lists the evidence (signed or not), and data-edgemark attributes.
(() => {
  const MIN_SIDE = 64; // smaller images cannot hold a 48-bit dwtDct mark
  const seen = new WeakSet();
  let worker;
  let workerReady;
  const pending = new Map();
  let nextId = 1;

  // Workers must be same-origin with the page: start a blob worker that imports the
  // extension's worker module (a web-accessible resource).
  function startWorker() {
    const base = chrome.runtime.getURL("");
    const code = `await import(${JSON.stringify(base + "worker.js")});`;
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    return new Promise((resolve) => {
      try {
        worker = new Worker(url, { type: "module" });
      } catch {
        resolve(false);
        return;
      }
      worker.onerror = () => resolve(false);
      worker.onmessage = ({ data }) => {
        if ("ready" in data) {
          resolve(data.ready);
          return;
        }
        const p = pending.get(data.id);
        pending.delete(data.id);
        if (p) data.error ? p.reject(new Error(data.error)) : p.resolve(data.report);
      };
    });
  }

  async function bytesOf(src) {
    try {
      const r = await fetch(src);
      if (r.ok) return await r.arrayBuffer();
    } catch { /* cross-origin without CORS: ask the service worker */ }
    const reply = await chrome.runtime.sendMessage({ fetch: src });
    if (reply.error) throw new Error(reply.error);
    const bin = atob(reply.base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  async function detect(src) {
    if (await workerReady) {
      const bytes = await bytesOf(src);
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, bytes }, [bytes]);
      });
    }
    const reply = await chrome.runtime.sendMessage({ detect: src }); // page CSP forbids the worker
    if (reply.error) throw new Error(reply.error);
    return reply.report;
  }

  // The verdict is the report's provenance: generator watermarks and the file's metadata
  // (the worker hands EdgeMark the original bytes, which a canvas would have stripped).
  function mark(img, report) {
    const p = report.provenance;
    const flagged = p.ai_generated === true;
    img.dataset.edgemark = flagged ? "detected" : "clean";
    if (!flagged) return;
    img.dataset.edgemarkWatermarks = report.findings.filter((f) => f.detected).map((f) => f.watermark).join(",");
    img.dataset.edgemarkEvidence = p.evidence.map((e) => `${e.kind}:${e.source}`).join(",");
    img.classList.add("edgemark-detected");
    const lines = p.evidence.map((e) => `${e.kind} ${e.source}${e.signed ? " (signed)" : " (unsigned)"}: ${e.detail}`);
    img.title = ["EdgeMark: AI-generated"].concat(lines).join("\n");
    badge(img, lines);
  }

  // The badge: a sibling of the image, absolutely placed over its top-left corner, kept there
  // when the layout changes and removed with the image. Its card shows on hover or focus;
  // text only (textContent), never the page's or the file's markup.
  const badges = new Map();
  function badge(img, lines) {
    const b = document.createElement("span");
    b.className = "edgemark-badge";
    b.textContent = "AI";
    b.tabIndex = 0;
    b.setAttribute("role", "note");
    b.setAttribute("aria-label", "EdgeMark: AI-generated. " + lines.join(". "));
    const card = document.createElement("span");
    card.className = "edgemark-evidence";
    const head = document.createElement("strong");
    head.textContent = "EdgeMark: AI-generated";
    card.append(head);
    for (const l of lines) {
      const row = document.createElement("span");
      row.className = "edgemark-evidence-row";
      row.textContent = l;
      card.append(row);
    }
    b.append(card);
    img.insertAdjacentElement("afterend", b);
    badges.set(img, b);
    placeAll();
  }
  // Wherever the badge's containing block is (a positioned ancestor, a table cell, the
  // page), move it by the distance between its box and the image's, 6 px inside the corner.
  const INSET = 6;
  function place(img, b) {
    b.style.left = "0px";
    b.style.top = "0px";
    const at = b.getBoundingClientRect();
    const to = img.getBoundingClientRect();
    b.style.left = `${to.left - at.left + INSET}px`;
    b.style.top = `${to.top - at.top + INSET}px`;
  }
  function placeAll() {
    for (const [img, b] of badges) {
      if (img.isConnected) place(img, b);
      else {
        b.remove();
        badges.delete(img);
      }
    }
  }
  new ResizeObserver(placeAll).observe(document.documentElement);
  window.addEventListener("resize", placeAll);

  async function scan(img) {
    if (seen.has(img) || !img.currentSrc) return;
    if (img.naturalWidth < MIN_SIDE || img.naturalHeight < MIN_SIDE) return;
    seen.add(img);
    try {
      mark(img, await detect(img.currentSrc));
    } catch (e) {
      img.dataset.edgemark = "error";
      img.dataset.edgemarkError = e.message;
    }
  }

  function scanAll(root) {
    for (const img of root.querySelectorAll ? root.querySelectorAll("img") : []) {
      if (img.complete) scan(img);
      else img.addEventListener("load", () => scan(img), { once: true });
    }
  }

  workerReady = startWorker();
  // Which engine runs detection on this page, for people and tests: "worker" or "service-worker".
  workerReady.then((ok) => { document.documentElement.dataset.edgemarkEngine = ok ? "worker" : "service-worker"; });
  scanAll(document);
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n instanceof HTMLImageElement) scanAll({ querySelectorAll: () => [n] });
        else if (n.querySelectorAll) scanAll(n);
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
