import { walk } from './outbox-horizon.service';

const seen = (xmin: number, xmax: number, seqs: number[]) =>
  seqs.length
    ? seqs.map((seq) => ({ xmin: String(xmin), xmax: String(xmax), seq: String(seq) }))
    : [{ xmin: String(xmin), xmax: String(xmax), seq: null }];

describe('walk (the outbox horizon)', () => {
  it('moves over contiguous seqs', () => {
    expect(walk(4n, null, seen(100, 110, [5, 6, 7]))).toEqual({ position: 7n, hole: null });
  });

  it('stops before a hole and remembers the snapshot xmax it was first seen in', () => {
    expect(walk(4n, null, seen(100, 110, [5, 7, 8]))).toEqual({ position: 5n, hole: '110' });
  });

  it('keeps waiting while a transaction running at the first sighting may still commit into the hole', () => {
    expect(walk(5n, '110', seen(109, 112, [7, 8]))).toEqual({ position: 5n, hole: '110' });
  });

  it('passes the hole once every such transaction has ended (it was rolled back)', () => {
    expect(walk(5n, '110', seen(110, 112, [7, 8]))).toEqual({ position: 8n, hole: null });
  });

  it('takes a hole that filled meanwhile like any other row, and stops at the next one with a fresh xmax', () => {
    expect(walk(5n, '110', seen(105, 120, [6, 7, 9]))).toEqual({ position: 7n, hole: '120' });
  });

  it('stays put on an empty outbox', () => {
    expect(walk(0n, null, seen(1, 1, []))).toEqual({ position: 0n, hole: null });
  });
});
