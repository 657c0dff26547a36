import { stackedBarChart } from '../../api/workspace/charts';

/** The bars drawn, in order: class, fill, y and height (the legend's samples, at a negative y, are left out). */
function bars(svg: string) {
  return [
    ...svg.matchAll(
      /<rect class="(k-\w+)"(?: fill="([^"]+)")? x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"\/>/g,
    ),
  ].map(([, cls, fill, y, height]) => ({ cls, fill: fill ?? null, y: Number(y), height: Number(height) }));
}

describe('stacked bar chart (health bands by cohort)', () => {
  const chart = stackedBarChart({
    id: 'bands',
    labels: ['26/04', '26/05'],
    parts: [
      { name: 'Good', values: [2, 0], style: 'good' },
      { name: 'Watch', values: [1, 0], style: 'watch' },
      { name: 'At risk', values: [1, 4], style: 'bad' },
      { name: 'Too early', values: [0, 0], style: 'none' },
    ],
  });

  it('stacks each category’s parts on one another, in order, with heights in proportion and nothing for a zero', () => {
    const drawn = bars(chart);
    expect(drawn.map((b) => b.cls)).toEqual(['k-good', 'k-watch', 'k-bad', 'k-bad']);
    const [good, watch, bad, bad2] = drawn;
    // Each part starts where the one below it ends.
    expect(good!.y).toBeCloseTo(watch!.y + watch!.height, 1);
    expect(watch!.y).toBeCloseTo(bad!.y + bad!.height, 1);
    expect(good!.height).toBeCloseTo(2 * watch!.height, 1);
    // The second category's four are as tall as the first's four.
    expect(bad2!.height).toBeCloseTo(good!.height + watch!.height + bad!.height, 1);
  });

  it('fills watch and at risk with their own patterns, so the bands read without colour; hidden from screen readers', () => {
    expect(chart).toContain('<pattern id="bands-watch"');
    expect(chart).toContain('<pattern id="bands-bad"');
    expect(bars(chart).find((b) => b.cls === 'k-watch')!.fill).toBe('url(#bands-watch)');
    expect(bars(chart).find((b) => b.cls === 'k-good')!.fill).toBeNull();
    expect(chart).toMatch(/^<svg class="chart"[^>]* aria-hidden="true"/);
    for (const name of ['Good', 'Watch', 'At risk', 'Too early']) expect(chart).toContain(`>${name}</text>`);
  });
});
