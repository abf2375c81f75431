// Slate (npm slate, slate-react) on React, bundled by esbuild when the test starts
// (tests/e2e/conftest.py, esbuild_bundle): a document editor whose title follows its text, as a
// docs app's does. Slate cancels the browser's own insertion where it cannot let it through
// (an empty paragraph among others) and renders its model: no input event comes. Save shows
// the text in the title, on the button and in the hash route. Nothing here was written for
// Overt but this page.
import { useEffect, useMemo } from "react";
import { createRoot } from "react-dom/client";
import { createEditor, Node } from "slate";
import { Editable, Slate, withReact } from "slate-react";

const initialValue = [{ type: "paragraph", children: [{ text: "" }] }];
const plain = (value) => value.map((node) => Node.string(node)).join(" ").trim();

function App() {
  const editor = useMemo(() => withReact(createEditor()), []);
  useEffect(() => {
    document.body.dataset.ready = "yes";
  }, []);
  const onChange = (value) => {
    document.title = `${plain(value) || "Untitled"} - Docs`;
  };
  const save = (ev) => window.showBack(ev.currentTarget, plain(editor.children), "Docs");
  return (
    <>
      <Slate editor={editor} initialValue={initialValue} onChange={onChange}>
        <Editable
          id="editor"
          aria-label="Document"
          style={{ border: "1px solid #888", minHeight: "3em", width: "30em" }}
        />
      </Slate>
      <button id="save" type="button" onClick={save}>
        Save
      </button>
      <button id="done" type="button">
        Done
      </button>
    </>
  );
}

createRoot(document.getElementById("root")).render(<App />);
