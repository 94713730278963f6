'use strict';
/** The one table the benchmark prints, and the JSON it writes. */
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cpuModel } = require('./harness');

function format(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (unit === 'ms') return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
  if (unit === 'MB') return `${value.toFixed(1)} MB`;
  if (unit === 'x') return `${value.toFixed(2)}×`;
  if (unit === 's') return `${value.toFixed(1)} s`;
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
      f.target?.text ?? f.note ?? '', // a figure without a target may say what to expect
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

/**
 * Prints the table and what goes with it, and writes the JSON to `out`. Returns
 * false when a figure could not be measured (the run then exits non-zero).
 */
function report({ figures, notes, skipped, settings, startedAt, loadBefore, out }) {
  const machine = {
    nproc: os.availableParallelism(),
    cpu: cpuModel(),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    loadavgBefore: loadBefore,
    loadavgAfter: os.loadavg(),
  };
  const durationSeconds = Math.round((Date.now() - startedAt) / 1000);
  const result = { date: new Date().toISOString(), durationSeconds, machine, settings, figures: figures.map((f) => ({ ...f, met: verdict(f) })), skipped };
  const unmeasured = figures.filter((f) => f.value === null || Number.isNaN(f.value) || (f.reference && Number.isNaN(f.reference.value)));

  console.log(`\n${table(figures)}\n`);
  console.log(
    `${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}; median of ${settings.runs} runs of ${settings.seconds}s after ${settings.warmupSeconds}s warm-up; ` +
      `load average before/after: ${loadBefore[0].toFixed(2)}/${machine.loadavgAfter[0].toFixed(2)}; took ${durationSeconds}s`,
  );
  const rssAfter = figures.find((f) => f.key === 'peak_rss')?.rssAfterPhaseMB ?? {};
  if (Object.keys(rssAfter).length > 0) console.log(`server RSS after each phase (MB): ${Object.entries(rssAfter).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  for (const note of notes) console.log(note);
  for (const { section, reason } of skipped) console.log(`SKIPPED ${section}: ${reason}`);
  writeJson(out, result);
  console.log(`written: ${path.relative(process.cwd(), out)}`);
  if (unmeasured.length > 0) console.error(`could not measure: ${unmeasured.map((f) => f.key).join(', ')}`);
  return unmeasured.length === 0;
}

module.exports = { report, table, verdict, writeJson, format };
