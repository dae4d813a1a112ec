import { describe, expect, it } from 'vitest';
import { replicaSetReport } from '../src/probes/data-tier.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('replica-set health as the guard judges it', () => {
  it('no primary (an election, or a lost majority) is an outage', () => {
    expect(() => replicaSetReport({ setName: 'rs0' }, undefined)).toThrow(/no primary/);
    expect(() =>
      replicaSetReport({ setName: 'rs0', primary: 'a:27017' }, { members: [{ name: 'a:27017', stateStr: 'SECONDARY' }] }),
    ).toThrow(/no PRIMARY/);
  });

  it('reports the lag of the slowest secondary and members that are not healthy', () => {
    const report = replicaSetReport(
      { setName: 'rs0', primary: 'a:27017' },
      {
        members: [
          { name: 'a:27017', stateStr: 'PRIMARY', optimeDate: at(30) },
          { name: 'b:27017', stateStr: 'SECONDARY', optimeDate: at(28) },
          { name: 'c:27017', stateStr: '(not reachable/healthy)' },
        ],
      },
    );
    expect(report.lagSeconds).toBe(2);
    expect(report.unhealthyMembers).toBe(1);
    expect(report.detail).toContain('1 member not healthy');
  });
});
