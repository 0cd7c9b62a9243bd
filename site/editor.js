// The code editor of both pages (a textarea) and the address that keeps its code: #code=<URI-encoded>.
// What comes from the address only ever becomes the textarea's value: never HTML, never run by itself.

export function codeFromHash() {
  const match = location.hash.match(/^#code=(.*)$/s);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

// Put the code (and ?present, when presenting) into the address, without a new history entry.
export function saveAddress(code, present = false) {
  history.replaceState(null, "", location.pathname + (present ? "?present" : "") + "#code=" + encodeURIComponent(code));
}

// Tab inserts four spaces; Ctrl+Enter (⌘+Enter) calls run.
export function editorKeys(editor, run) {
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end, value } = editor;
      editor.value = value.slice(0, start) + "    " + value.slice(end);
      editor.selectionStart = editor.selectionEnd = start + 4;
      editor.dispatchEvent(new Event("input"));
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
}
