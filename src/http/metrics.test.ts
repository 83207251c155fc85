import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelByWorker } from './metrics.ts';

const worker = (n: number, requests: number) =>
  [
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${n * 1000}`,
    '',
    '# HELP nugget_http_requests_total HTTP requests answered.',
    '# TYPE nugget_http_requests_total counter',
    `nugget_http_requests_total{route="/v3/index.json",method="GET",status="200"} ${requests}`,
    'nugget_cache_hits_total{} 3',
    '',
  ].join('\n');

test('labelByWorker: each family once, every worker its samples under it, labelled', () => {
  assert.equal(
    labelByWorker([
      { worker: '1', text: worker(1, 5) },
      { worker: '2', text: worker(2, 7) },
    ]),
    [
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      'process_resident_memory_bytes{worker="1"} 1000',
      'process_resident_memory_bytes{worker="2"} 2000',
      '# HELP nugget_http_requests_total HTTP requests answered.',
      '# TYPE nugget_http_requests_total counter',
      'nugget_http_requests_total{worker="1",route="/v3/index.json",method="GET",status="200"} 5',
      'nugget_cache_hits_total{worker="1"} 3',
      'nugget_http_requests_total{worker="2",route="/v3/index.json",method="GET",status="200"} 7',
      'nugget_cache_hits_total{worker="2"} 3',
      '',
    ].join('\n'),
  );
});

test('labelByWorker: samples before any HELP or TYPE keep a family of their own name', () => {
  assert.equal(
    labelByWorker([
      { worker: '1', text: 'up 1\n' },
      { worker: '2', text: 'up 1\n' },
    ]),
    'up{worker="1"} 1\nup{worker="2"} 1\n',
  );
});
