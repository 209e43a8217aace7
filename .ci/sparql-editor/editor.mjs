// The query page's SPARQL editor: progressive enhancement of the plain <textarea id="query">. Without this
// script the form works as it is; with it the textarea is replaced by a CodeMirror view (SPARQL highlighting,
// line numbers, history, bracket matching) that writes its text back into the textarea on every change, so the
// form submits exactly what is shown. Ctrl+Enter (Cmd+Enter) runs the query. Nothing is fetched from anywhere:
// no prefix lookups, no completion service.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";

// The page's Content-Security-Policy lets in only styles carrying its per-response nonce, which the server puts
// on this script's tag; CodeMirror writes its styles into a <style> element and must carry it too. Read now:
// document.currentScript is set only while this script runs.
const nonce = document.currentScript ? document.currentScript.nonce : "";

function enhance(textarea) {
  const form = textarea.form;
  const run = () => { if (form.requestSubmit) form.requestSubmit(); else form.submit(); return true; };
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(), bracketMatching(),
        StreamLanguage.define(sparql), syntaxHighlighting(defaultHighlightStyle),
        keymap.of([{ key: "Mod-Enter", run }, indentWithTab, ...defaultKeymap, ...historyKeymap]),
        EditorView.updateListener.of((update) => { if (update.docChanged) textarea.value = update.state.doc.toString(); }),
        EditorView.contentAttributes.of({ "aria-label": "SPARQL query", "aria-multiline": "true" }),
        ...(nonce ? [EditorView.cspNonce.of(nonce)] : []),
      ],
    }),
  });
  // The textarea stays the form's field (what is submitted) and stays addressable by anything that types
  // into it (autofill, tests): it is moved out of sight rather than hidden, and text typed into it reaches
  // the editor. It leaves the tab order and the accessibility tree: the editor is the one control.
  textarea.classList.add("behind-editor");
  textarea.tabIndex = -1;
  textarea.setAttribute("aria-hidden", "true");
  textarea.addEventListener("input", () => {
    const text = textarea.value;
    if (text !== view.state.doc.toString()) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  });
  textarea.insertAdjacentElement("afterend", view.dom);
  view.dom.classList.add("sparql-editor");
  window.kgEditor = view;  // tests and the console can read and set the text
}

const textarea = document.getElementById("query");
if (textarea && textarea.form) enhance(textarea);
