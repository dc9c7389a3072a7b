/**
 * The text of a control that the document owns: it shows the document's value, and what the person types is kept
 * as typed (with the caret where it is) until the document's value changes from elsewhere — the YAML tab, another
 * field, a discard. Create it while a component initialises.
 */
export class ControlledText {
  text = $state("");
  #shown = "";

  constructor(value: () => string) {
    $effect.pre(() => {
      const v = value();
      if (v !== this.#shown) {
        this.#shown = v;
        if (v !== this.text) this.text = v;
      }
    });
  }

  /** What was typed (about to be committed to the document). */
  typed(text: string): void {
    this.text = text;
    this.#shown = text;
  }
}
