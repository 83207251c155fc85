// A strict reader of the Prometheus text exposition format 0.0.4, for tests of /metrics: it throws on anything a
// Prometheus server would refuse or misread (a malformed line, a sample before its family's TYPE, a family split in
// two, a series given twice, histogram buckets that are not cumulative or do not end in +Inf = _count).
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

// Prometheus reads values with Go's strconv.ParseFloat, which takes NaN and Inf in any case (prom-client writes
// 'Nan' for a gauge that has no value yet).
function parseValue(text: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value '${text}'`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without '='`);
    const name = text.slice(i, eq).trim();
    if (!labelName.test(name)) throw new Error(`line ${line}: bad label name '${name}'`);
    if (name in labels) throw new Error(`line ${line}: label '${name}' twice`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape '\\${next}'`);
      } else value += text[j];
    }
    if (text[j] !== '"') throw new Error(`line ${line}: unterminated label value`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`line ${line}: junk after label '${name}'`);
  }
  return labels;
}

/** The families of an exposition, by name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a line feed');
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: Family | undefined;
  const familyOf = (sample: string): Family | undefined => {
    for (const candidate of [sample, sample.replace(/_(bucket|sum|count|total)$/, '')]) {
      const family = families.get(candidate);
      if (family) return family;
    }
    return undefined;
  };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.trim() === '') return;
      if (raw.startsWith('#')) {
        const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
        if (!match) return; // a plain comment
        const [, kind, name = '', rest = ''] = match;
        if (!metricName.test(name)) throw new Error(`line ${line}: bad metric name '${name}'`);
        let family = families.get(name);
        if (!family) {
          if (current) finished.add(current.name);
          family = { name, type: 'untyped', help: '', samples: [] };
          families.set(name, family);
        } else if (finished.has(name)) throw new Error(`line ${line}: family '${name}' is split in two`);
        if (kind === 'TYPE') {
          if (!types.has(rest)) throw new Error(`line ${line}: bad type '${rest}'`);
          if (family.samples.length > 0) throw new Error(`line ${line}: TYPE of '${name}' after its samples`);
          (family as { type: string }).type = rest;
        } else (family as { help: string }).help = rest;
        current = family;
        return;
      }
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(raw);
      if (!match) throw new Error(`line ${line}: not a sample: ${raw}`);
      const [, name = '', labelText = '', valueText = ''] = match;
      const family = familyOf(name);
      if (!family) throw new Error(`line ${line}: sample '${name}' has no TYPE or HELP before it`);
      if (family !== current) throw new Error(`line ${line}: sample '${name}' outside its family's block`);
      const labels = parseLabels(labelText, line);
      const series = `${name}{${Object.entries(labels)
        .sort()
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}}`;
      if (seen.has(series)) throw new Error(`line ${line}: series ${series} given twice`);
      seen.add(series);
      family.samples.push({ name, labels, value: parseValue(valueText, line) });
    });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (!count || !samples.some((s) => s.name === `${family.name}_sum`)) {
      throw new Error(`${family.name} ${key}: no _sum or _count`);
    }
    let previous = -1;
    let previousCount = 0;
    for (const bucket of buckets) {
      const le = parseValue(bucket.labels['le'] ?? 'x', 0);
      if (le <= previous) throw new Error(`${family.name} ${key}: buckets not in increasing order`);
      if (bucket.value < previousCount) throw new Error(`${family.name} ${key}: buckets not cumulative`);
      previous = le;
      previousCount = bucket.value;
    }
    if (previous !== Number.POSITIVE_INFINITY) throw new Error(`${family.name} ${key}: no +Inf bucket`);
    if (previousCount !== count.value) throw new Error(`${family.name} ${key}: +Inf bucket is not _count`);
  }
}

/** The sum of the samples of `name` whose labels include `labels`; 0 when there are none yet. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) {
        sum += sample.value;
      }
    }
  }
  return sum;
}
