/**
 * A benchmark's plot: a Vega-Lite spec rendered to SVG in Node by Vega itself, with no browser and no canvas
 * (SVG text is measured by Vega's estimate, which is enough for axis labels).
 */
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };

export type PlotSpec = TopLevelSpec;
type Layer = Extract<PlotSpec, { layer: unknown }>['layer'][number];

/** Layers that mark a reference value on a panel's y axis: a dashed rule and its label. */
export function horizontalLine(value: number, label: string): Layer[] {
  return [
    {
      data: { values: [{ value }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
      encoding: { y: { field: 'value', type: 'quantitative' } },
    },
    {
      data: { values: [{ value, label }] },
      mark: { type: 'text', align: 'left', dy: -6, color: 'gray', x: 4 },
      encoding: { y: { field: 'value', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

/** Every plot's look, so that the four read as one set. */
const look = {
  background: 'white',
  padding: 12,
  config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: 'transparent' }, axis: { grid: true } },
} as const;

export async function renderSvg(spec: PlotSpec): Promise<string> {
  // Both packages are ES modules only; the project compiles to CommonJS, so they are loaded on demand.
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const compiled = vegaLite.compile({ ...look, ...spec }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
