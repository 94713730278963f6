'use strict';
/** The one table the benchmark prints, and the JSON it writes. */
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const path = require('node:path');

function format(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (unit === 'ms') return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
  if (unit === 'MB') return `${value.toFixed(1)} MB`;
  if (unit === 'x') return `${value.toFixed(2)}×`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

/** Whether a figure meets its target; null when it has none. */
function verdict(figure) {
  const { target } = figure;
  if (!target) return null;
  const subject = target.on === 'ratio' ? figure.ratio : figure.value;
  if (subject === null || Number.isNaN(subject)) return false;
  if (target.min !== undefined && subject < target.min) return false;
  if (target.max !== undefined && subject > target.max) return false;
  if (target.maxFailures !== undefined && figure.failures > target.maxFailures) return false;
  return true;
}

function table(figures) {
  const header = ['Figure', 'Server', 'Reference', 'Ref. value', 'Ratio', 'Target', 'Met'];
  const rows = figures.map((f) => {
    const met = verdict(f);
    return [
      f.label,
      format(f.value, f.unit),
      f.reference?.name ?? '',
      f.reference ? format(f.reference.value, f.unit) : '',
      f.ratio === undefined ? '' : format(f.ratio, 'x'),
      f.target?.text ?? '',
      met === null ? '' : met ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Writes atomically (tmp + rename) so an interrupted run never leaves half a file. */
function writeJson(file, data) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(tmp, file);
}

module.exports = { table, verdict, writeJson, format };
