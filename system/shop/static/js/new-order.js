// New order: drag-and-drop uploads with progress, lines added in place, lines removed in place.
(function () {
  "use strict";
  var uploadForm = document.querySelector("[data-upload-form]");
  var orderForm = document.querySelector("[data-order-form]");
  if (!uploadForm || !orderForm) return;

  var input = uploadForm.querySelector("input[type=file]");
  var dropzone = uploadForm.querySelector("[data-dropzone]");
  var progressBox = uploadForm.querySelector("[data-progress]");
  var progress = progressBox.querySelector("progress");
  var status = uploadForm.querySelector("[data-upload-status]");
  var lines = orderForm.querySelector("[data-lines]");
  var empty = orderForm.querySelector("[data-empty]");
  var problem = document.querySelector("[data-problem]");
  var queue = [];
  var busy = false;

  function refreshEmpty() {
    empty.hidden = lines.querySelector("[data-line]") !== null;
  }

  function enqueue(files) {
    Array.prototype.forEach.call(files, function (file) { queue.push(file); });
    if (!busy) next();
  }

  function next() {
    var file = queue.shift();
    busy = Boolean(file);
    if (file) upload(file);
  }

  function finish(message) {
    progressBox.hidden = true;
    status.textContent = message;
    input.value = "";
    next();
  }

  function upload(file) {
    window.Shop.clearProblem(problem);
    var data = new FormData(uploadForm);
    data.set("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", uploadForm.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 201 && body) {
        lines.insertAdjacentHTML("beforeend", body.line_html);
        refreshEmpty();
        finish(file.name + " uploaded and added to your order.");
      } else if (xhr.status === 401) {
        window.location.assign("/signin?next=" + encodeURIComponent(window.location.pathname));
      } else {
        var text = body && body.message ? body.message + (body.tip ? " " + body.tip : "") :
          "The upload of " + file.name + " failed. Please try again.";
        window.Shop.showProblem(problem, text);
        finish("");
      }
    });
    xhr.addEventListener("error", function () {
      window.Shop.showProblem(problem, "The upload of " + file.name +
        " stopped because the connection was lost. Check your connection and try again.");
      finish("");
    });
    progress.value = 0;
    progressBox.hidden = false;
    status.textContent = "Uploading " + file.name + "…";
    xhr.send(data);
  }

  input.addEventListener("change", function () {
    if (input.files.length) enqueue(input.files);
  });
  uploadForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (input.files.length) enqueue(input.files);
  });

  ["dragenter", "dragover"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.add("is-dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      if (type === "dragleave" && dropzone.contains(event.relatedTarget)) return;
      dropzone.classList.remove("is-dragging");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) enqueue(event.dataTransfer.files);
  });

  lines.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-line]");
    if (!button) return;
    event.preventDefault();
    var line = button.closest("[data-line]");
    var name = line.querySelector("legend").textContent.trim();
    line.remove();
    refreshEmpty();
    status.textContent = name + " removed from your order.";
    input.focus();
  });

  orderForm.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.hasAttribute("data-remove-line")) return;
    if (!lines.querySelector("[data-line]")) {
      event.preventDefault();
      window.Shop.showProblem(problem, "Upload at least one model to order.");
    }
  });
})();
