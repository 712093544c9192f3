// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Respondent suggestions on the complaint form (a plain text field without this).
  var input = document.querySelector("[data-suggest]");
  if (input) {
    var list = document.getElementById("respondent-suggestions");
    var hiddenId = document.getElementById("respondent_id");
    var uscc = document.getElementById("respondent_uscc");
    var timer = null;
    input.addEventListener("input", function () {
      hiddenId.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 1) { list.hidden = true; return; }
      timer = setTimeout(function () {
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (item) {
              var li = document.createElement("li");
              var button = document.createElement("button");
              button.type = "button";
              button.textContent = item.name + (item.odr_enterprise ? " · ODR" : "");
              button.addEventListener("click", function () {
                input.value = item.name;
                hiddenId.value = item.id;
                if (item.uscc) { uscc.value = item.uscc; }
                list.hidden = true;
                input.focus();
              });
              li.appendChild(button);
              list.appendChild(li);
            });
            list.hidden = items.length === 0;
          })
          .catch(function () { list.hidden = true; });
      }, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { list.hidden = true; }
    });
  }

  // The complaint form in steps: one section at a time, Enter goes to the next one.
  var form = document.querySelector("form.stepped");
  if (form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.step"));
    var links = Array.prototype.slice.call(document.querySelectorAll("nav.steps a"));
    var labels = document.documentElement.lang === "en"
      ? { next: "Next", back: "Back" } : { next: "下一步", back: "上一步" };
    var current = 0;

    var show = function (index, focus) {
      current = Math.max(0, Math.min(index, steps.length - 1));
      steps.forEach(function (step, i) { step.hidden = i !== current; });
      links.forEach(function (link, i) {
        if (i === current) { link.setAttribute("aria-current", "step"); }
        else { link.removeAttribute("aria-current"); }
        link.parentNode.classList.toggle("done", i < current);
      });
      if (focus) {
        var first = steps[current].querySelector("input:not([type=hidden]), select, textarea");
        if (first) { first.focus(); }
      }
    };
    // The required fields of a step that are still empty or invalid.
    var stepIsValid = function (index) {
      var fields = steps[index].querySelectorAll("input[required], select[required], textarea[required]");
      for (var i = 0; i < fields.length; i++) {
        if (!fields[i].checkValidity()) { fields[i].reportValidity(); return false; }
      }
      return true;
    };
    var next = function () { if (stepIsValid(current)) { show(current + 1, true); } };

    steps.forEach(function (step, i) {
      var bar = document.createElement("div");
      bar.className = "step-nav";
      if (i > 0) {
        var back = document.createElement("button");
        back.type = "button";
        back.className = "secondary";
        back.textContent = labels.back;
        back.addEventListener("click", function () { show(current - 1, true); });
        bar.appendChild(back);
      }
      if (i < steps.length - 1) {
        var forward = document.createElement("button");
        forward.type = "button";
        forward.className = "next";
        forward.textContent = labels.next;
        forward.addEventListener("click", next);
        bar.appendChild(forward);
      }
      step.appendChild(bar);
    });
    links.forEach(function (link, i) {
      link.addEventListener("click", function (event) { event.preventDefault(); show(i, true); });
    });
    // Enter in a field moves on instead of sending a half-filled form.
    form.addEventListener("keydown", function (event) {
      var t = event.target;
      if (event.key !== "Enter" || t.tagName === "TEXTAREA" || t.tagName === "BUTTON") { return; }
      if (current < steps.length - 1) { event.preventDefault(); next(); }
    });
    // Back from the server with errors: open the first step that has one.
    var invalid = form.querySelector(".invalid");
    var start = 0;
    steps.forEach(function (step, i) { if (invalid && step.contains(invalid) && !start) { start = i; } });
    show(start, false);
    var notice = document.getElementById("form-errors");
    if (notice) { notice.focus(); }

    // A claim or a ticked box opens the part it needs.
    var claim = document.getElementById("claim_type");
    var sevenDay = document.getElementById("seven-day-return");
    if (claim && sevenDay) {
      claim.addEventListener("change", function () {
        if (claim.value === "seven_day_return") { sevenDay.open = true; }
      });
    }

    // Evidence: count and size before sending (the server checks the content again).
    var evidence = document.getElementById("evidence");
    var evidenceCheck = document.getElementById("evidence-check");
    if (evidence && evidenceCheck) {
      evidence.addEventListener("change", function () {
        var maxFiles = parseInt(evidence.dataset.maxFiles, 10);
        var maxBytes = parseInt(evidence.dataset.maxBytes, 10);
        var problem = "";
        var en = document.documentElement.lang === "en";
        if (evidence.files.length > maxFiles) {
          problem = en ? "At most " + maxFiles + " files." : "最多" + maxFiles + "个文件。";
        }
        Array.prototype.forEach.call(evidence.files, function (f) {
          if (f.size > maxBytes) {
            problem = f.name + (en ? ": larger than " : "：超过") + Math.round(maxBytes / 1048576) + "MB";
          }
        });
        evidenceCheck.textContent = problem;
        evidenceCheck.hidden = !problem;
      });
    }
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
