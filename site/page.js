// What both pages (index.html, value.html) do with their controls: the status line, the text
// boxes that hide when empty, and the presentation-mode toggle.
export const $ = (id) => document.getElementById(id);

export function setStatus(text, done = false) {
  $("status").textContent = text;
  $("status").classList.toggle("done", done);
}

export function showText(id, text) {
  $(id).textContent = text;
  $(id).hidden = !text;
}

export const isPresenting = () => document.body.classList.contains("present");

// Presentation mode on or off: the body's class and the #present button's state and label.
export function setPresenting(on) {
  document.body.classList.toggle("present", on);
  $("present").setAttribute("aria-pressed", String(on));
  $("present").textContent = on ? "Exit presentation" : "Present";
}
