import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The workspace stylesheet's colours meet WCAG AA: text 4.5:1 against every surface it can sit on, and the focus
 * outline 3:1 (non-text contrast). The colour pairs are read from the stylesheet itself, so a colour changed there is
 * checked here.
 */
const CSS = readFileSync(path.join(__dirname, '../../api/workspace/assets/workspace.css'), 'utf8');

type Rule = { selector: string; color?: string; background?: string; outline?: string };

function rules(css: string): Rule[] {
  const found: Rule[] = [];
  for (const [, selector, body] of css.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const hex = (re: RegExp) => re.exec(body!)?.[1];
    found.push({
      selector: selector!.trim().replace(/\s+/g, ' '),
      color: hex(/(?:^|[;\s])color:\s*(#[0-9a-f]{3,6})\s*;/i),
      background: hex(/background(?:-color)?:\s*(#[0-9a-f]{3,6})\s*;/i),
      outline: hex(/(?:^|[;\s])outline:[^;]*(#[0-9a-f]{3,6})/i),
    });
  }
  return found;
}

/** Relative luminance (WCAG 2.x) of a #rgb or #rrggbb colour. */
function luminance(colour: string): number {
  const hex = colour.length === 4 ? [...colour.slice(1)].map((c) => c + c).join('') : colour.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const all = rules(CSS);
const body = all.find((r) => r.selector === 'body')!;
const header = all.find((r) => r.selector === '.top')!;
const button = all.find((r) => r.selector.startsWith('button,'))!;
/** Surfaces that set a background and leave the text colour to the page (dots and markers hold no text). */
const surfaces = all.filter((r) => r.background && !r.color && !r.selector.includes('.dot'));
const light = (c: string) => luminance(c) > 0.5;

describe('workspace colours (WCAG AA)', () => {
  it('reads the colours from the stylesheet', () => {
    expect(body).toMatchObject({ color: expect.any(String), background: expect.any(String) });
    expect(all.filter((r) => r.color && r.background).length).toBeGreaterThan(8);
    expect(surfaces.length).toBeGreaterThan(8);
  });

  it('text and background declared together: at least 4.5:1', () => {
    const pairs = all.filter((r) => r.color && r.background);
    const failing = pairs.filter((r) => contrast(r.color!, r.background!) < 4.5).map((r) => r.selector);
    expect(failing).toEqual([]);
  });

  it('a surface with the text it inherits (the page’s, or a button’s): at least 4.5:1', () => {
    const failing = surfaces
      .map((r) => ({ r, text: r.selector.startsWith('button') ? button.color! : body.color! }))
      .filter(({ r, text }) => contrast(text, r.background!) < 4.5)
      .map(({ r }) => r.selector);
    expect(failing).toEqual([]);
  });

  it('a text colour on its own: at least 4.5:1 on every light surface (dark text) or on the header (light text)', () => {
    const lightSurfaces = [body.background!, ...surfaces.map((r) => r.background!).filter(light)];
    const failing = all
      .filter((r) => r.color && !r.background && !r.selector.startsWith('.top'))
      .flatMap((r) =>
        (light(r.color!) ? [header.background!] : lightSurfaces)
          .filter((bg) => contrast(r.color!, bg) < 4.5)
          .map((bg) => `${r.selector} ${r.color} on ${bg}`),
      );
    expect(failing).toEqual([]);
  });

  it('the focus outline: at least 3:1 against the page and a white card', () => {
    const focus = all.find((r) => r.selector === ':focus-visible')!;
    expect(focus.outline).toBeDefined();
    for (const bg of [body.background!, '#fff']) expect(contrast(focus.outline!, bg)).toBeGreaterThanOrEqual(3);
  });

  it('the ratio is the WCAG one', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 5);
    expect(contrast('#777', '#fff')).toBeCloseTo(4.48, 2);
  });
});
