// CodeMirror 6, TipTap (ProseMirror) and Lexical (npm), bundled by esbuild when the test starts
// (tests/e2e/conftest.py, esbuild_bundle): the editor named by the page's query (?editor=...),
// a document whose title follows its text, as a docs app's does; Save shows the text in the
// title, on the button and in the hash route. Nothing here was written for Overt but this page.
import { EditorView, basicSetup } from "codemirror";
import { Editor } from "@tiptap/core";
import StarterKit from "@tiptap/starter-kit";
import { createEditor, $getRoot } from "lexical";
import { registerPlainText } from "@lexical/plain-text";

const host = document.getElementById("editor");
const show = (text) => {
  document.title = `${text.replace(/\s+/g, " ").trim() || "Untitled"} - Docs`;
};
let current = () => "";

const which = new URLSearchParams(location.search).get("editor");
if (which === "codemirror") {
  const view = new EditorView({
    parent: host,
    extensions: [basicSetup, EditorView.updateListener.of((u) => u.docChanged && show(u.state.doc.toString()))],
  });
  current = () => view.state.doc.toString();
} else if (which === "tiptap") {
  const editor = new Editor({
    element: host,
    extensions: [StarterKit],
    onUpdate: ({ editor: e }) => show(e.getText()),
  });
  current = () => editor.getText();
} else if (which === "lexical") {
  const root = document.createElement("div");
  root.contentEditable = "true";
  root.className = "lexical";
  host.append(root);
  const editor = createEditor({ namespace: "docs", onError: (err) => console.error(err) });
  editor.setRootElement(root);
  registerPlainText(editor);
  let text = "";
  editor.registerUpdateListener(({ editorState }) => {
    text = editorState.read(() => $getRoot().getTextContent());
    show(text);
  });
  current = () => text;
}

document.getElementById("save").addEventListener("click", (ev) => {
  window.showBack(ev.currentTarget, current().replace(/\s+/g, " ").trim(), "Docs");
});
document.body.dataset.ready = "yes";
