/**
 * segment() against the brute-force evaluator of the SPEC §5 definitions on thousands of random
 * small graphs and boundaries: membership, roles, all distances and induced edges must agree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbSegmentCase, buildFromSpec, type SegmentCase } from './arbitraries.js';
import { bruteSegment, compareEdges, type BruteSegment } from './bruteforce.js';
import { segment } from './segment.js';

function fastAsBrute(c: SegmentCase): { fast: BruteSegment; brute: BruteSegment } {
  const { graph, raw } = buildFromSpec(c.spec);
  const r = segment(graph, c.sources, c.destinations, c.boundary);
  const fast: BruteSegment = {
    vertices: r.vertices
      .map(({ id, role, toSource, fromDestination, matchLength, hops }) => ({ id, role, toSource, fromDestination, matchLength, hops }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    edges: r.edges.map((e) => ({ ...e })).sort(compareEdges),
  };
  return { fast, brute: bruteSegment(raw, c.sources, c.destinations, c.boundary) };
}

describe('segment == brute force', () => {
  it.each([
    { name: 'random DAGs, random edge types', acyclic: true, provTyped: false, runs: 5000 },
    { name: 'random DAGs, PROV-typed edges', acyclic: true, provTyped: true, runs: 5000 },
    { name: 'random graphs with cycles (bounded length, walk semantics)', acyclic: false, provTyped: false, runs: 2000 },
  ])('$name', ({ acyclic, provTyped, runs }) => {
    let withSimilar = 0;
    let withCore = 0;
    fc.assert(
      fc.property(arbSegmentCase({ acyclic, provTyped }), (c) => {
        const { fast, brute } = fastAsBrute(c);
        expect(fast).toEqual(brute);
        if (brute.vertices.some((v) => v.role === 'similar')) withSimilar++;
        if (brute.vertices.length > 1) withCore++;
      }),
      { numRuns: runs },
    );
    // Guard the generator: the interesting cases must actually occur.
    expect(withCore).toBeGreaterThan(runs * 0.2);
    expect(withSimilar).toBeGreaterThan(runs * 0.03);
  }, 60_000);
});
