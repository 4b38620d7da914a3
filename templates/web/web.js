// greenal web pages: the only script. A form that takes a while (footprint, PDF, signing) says so.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var busy = form.getAttribute("data-busy");
  var button = event.submitter;
  if (!busy || (button && button.hasAttribute("formaction"))) { return; } // downloads stay on the page
  var note = document.createElement("p");
  note.className = "busy";
  note.textContent = busy;
  form.appendChild(note);
  setTimeout(function () { if (button) { button.disabled = true; } }, 0);
});
