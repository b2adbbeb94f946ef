// The kiosk page: polls the venue service every second for the challenge on screen, the
// newest outcomes and the door's thermal reading; posts codes that a keyboard-wedge
// scanner types; the staff-only assisted-entry form. No external assets, no framework.
"use strict";
(function () {
  const venue = document.body.dataset.venue;
  const base = "/kiosk/" + encodeURIComponent(venue);
  let knownCode = "";
  let afterSeq = -1;
  let clearAt = 0;

  const $ = (id) => document.getElementById(id);

  function showOutcome(outcome) {
    const box = $("outcome");
    const admitted = outcome.code === "admitted" || outcome.code === "checkedOut";
    box.className = admitted ? "admitted" : "refused";
    box.textContent = "";
    // "한국어 / English": one line each, Korean first.
    const [korean, ...english] = String(outcome.message).split(" / ");
    const first = document.createElement("span");
    first.textContent = korean;
    box.appendChild(first);
    if (english.length) {
      const second = document.createElement("span");
      second.className = "en";
      second.textContent = english.join(" / ");
      box.appendChild(second);
    }
    if (!admitted) {
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = outcome.code;
      box.appendChild(code);
    }
    box.dataset.code = outcome.code;
    clearAt = Date.now() + 8000;
  }

  function idle() {
    const box = $("outcome");
    box.className = "";
    box.dataset.code = "";
    box.textContent = "QR 코드를 스캔해 주세요 / Please scan the code";
  }

  function showReading(reading) {
    const el = $("reading");
    if (!reading) { el.textContent = ""; el.className = ""; return; }
    let text = reading.celsius.toFixed(1) + " °C";
    if (reading.mask === false) text += " · 마스크 없음 / no mask";
    el.textContent = text;
    el.className = reading.celsius >= 37.5 ? "hot" : "";
  }

  async function poll() {
    try {
      const response = await fetch(base + "/state?known=" + knownCode + "&after=" + afterSeq,
        { cache: "no-store" });
      if (response.ok) {
        const state = await response.json();
        if (state.code.svg) {
          $("qr").innerHTML = state.code.svg;
          $("qr").dataset.code = state.code.text;
        }
        knownCode = state.code.id;
        if (state.poster && !$("poster").innerHTML) $("poster").innerHTML = state.poster;
        $("fallback").hidden = !state.poster;
        for (const outcome of state.outcomes) {
          if (afterSeq >= 0) showOutcome(outcome);
          afterSeq = Math.max(afterSeq, outcome.seq);
        }
        if (afterSeq < 0) afterSeq = 0;
        showReading(state.reading);
      }
    } catch (e) {
      // The venue network may blink: keep the last screen and try again.
    }
    if (clearAt && Date.now() > clearAt) { clearAt = 0; idle(); }
    setTimeout(poll, 1000);
  }

  // A keyboard-wedge scanner types the holder's code and Enter.
  let typed = "";
  document.addEventListener("keydown", async (event) => {
    if ($("staff").classList.contains("open")) return;
    if (event.key === "Enter") {
      const text = typed.trim();
      typed = "";
      if (text.startsWith("AH1:")) {
        const response = await fetch("/venues/" + encodeURIComponent(venue) + "/scans",
          { method: "POST", headers: { "content-type": "text/plain" }, body: text });
        if (!response.ok) {
          const problem = await response.json().catch(() => ({}));
          showOutcome({ code: problem.code || "error", message: problem.userMessage || problem.title || "" });
        }
      }
    } else if (event.key.length === 1 && typed.length < 2000) {
      typed += event.key;
    }
  });

  // Staff-only assisted entry: passcode and phone on an on-screen keypad.
  let field = "passcode";
  const values = { passcode: "", phone: "+82" };
  function render() {
    $("passcode-view").value = "•".repeat(values.passcode.length);
    $("phone-view").value = values.phone;
    $("field-passcode").setAttribute("aria-pressed", String(field === "passcode"));
    $("field-phone").setAttribute("aria-pressed", String(field === "phone"));
  }
  $("staff-open").addEventListener("click", () => { $("staff").classList.add("open"); render(); });
  $("staff-close").addEventListener("click", () => {
    $("staff").classList.remove("open");
    values.passcode = ""; values.phone = "+82"; $("staff-name").value = "";
    $("staff-result").textContent = "";
  });
  $("field-passcode").addEventListener("click", () => { field = "passcode"; render(); });
  $("field-phone").addEventListener("click", () => { field = "phone"; render(); });
  for (const key of document.querySelectorAll("#keypad button")) {
    key.addEventListener("click", () => {
      const k = key.dataset.key;
      if (k === "back") values[field] = values[field].slice(0, -1);
      else if (values[field].length < 24) values[field] += k;
      render();
    });
  }
  for (const toggle of document.querySelectorAll(".toggles button")) {
    toggle.addEventListener("click", () => {
      toggle.setAttribute("aria-pressed", String(toggle.getAttribute("aria-pressed") !== "true"));
    });
  }
  $("staff-submit").addEventListener("click", async () => {
    const body = {
      name: $("staff-name").value.trim(),
      phone: values.phone,
      fever: $("toggle-fever").getAttribute("aria-pressed") === "true",
      respiratory: $("toggle-symptoms").getAttribute("aria-pressed") === "true",
    };
    const response = await fetch("/venues/" + encodeURIComponent(venue) + "/assisted", {
      method: "POST",
      headers: { "content-type": "application/json", "x-staff-passcode": values.passcode },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    $("staff-result").textContent = response.ok ? answer.message : (answer.userMessage || answer.title || "");
    if (response.ok) { values.phone = "+82"; $("staff-name").value = ""; render(); }
  });

  idle();
  poll();
})();
