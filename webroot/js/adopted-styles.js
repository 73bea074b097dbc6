// xterm.js writes its theme and cell sizes into <style> elements, which the appliance's Content-Security-Policy
// (style-src 'self', no inline styles) refuses. This hands it stand-ins whose text becomes a constructed
// stylesheet instead: document.adoptedStyleSheets are built by script, not parsed from the page, so the policy
// stays as strict as on every other page. Install it before the terminal is created.

/** Makes document.createElement('style') return a stand-in backed by an adopted stylesheet. */
export function adoptInlineStyles(doc = document) {
  if (doc.__outpostAdoptedStyles || !('adoptedStyleSheets' in doc)) {
    return;
  }
  doc.__outpostAdoptedStyles = true;
  const create = doc.createElement.bind(doc);
  doc.createElement = (tag, options) => String(tag).toLowerCase() === 'style' ? standIn(doc, create, options)
    : create(tag, options);
}

function standIn(doc, create, options) {
  const element = create('outpost-style', options);
  element.hidden = true;
  const sheet = new CSSStyleSheet();
  let text = '';
  const write = value => {
    text = value === null || value === undefined ? '' : String(value);
    sheet.replaceSync(text);
  };
  for (const property of ['textContent', 'innerText', 'innerHTML']) {
    Object.defineProperty(element, property, {get: () => text, set: write, configurable: true});
  }
  Object.defineProperty(element, 'sheet', {get: () => sheet, configurable: true});
  element.appendChild = node => {
    write(text + (node && node.textContent || ''));
    return node;
  };
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  const remove = element.remove.bind(element);
  element.remove = () => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter(s => s !== sheet);
    remove();
  };
  return element;
}
