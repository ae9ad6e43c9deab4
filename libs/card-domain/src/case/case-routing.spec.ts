import { chooseAgent, DEFAULT_CASE_ROUTING, parseCaseRouting, routeCase, teamsOfAgent, type CaseRouting, type Team } from './case-routing';

const routingOf = (doc: unknown): CaseRouting => {
  const parsed = parseCaseRouting(doc);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.routing;
};

const ROUTING = routingOf({
  defaultTeam: 'desk',
  rules: [
    { id: 'complaints', categories: ['COMPLAINT'], team: 'complaints' },
    { id: 'urgent-activation', categories: ['ACTIVATION_FAILED'], priorities: ['URGENT'], team: 'l2' },
    { id: 'activation', categories: ['ACTIVATION_FAILED', 'CARD_NOT_RECEIVED'], team: 'activation' },
    { id: 'chat', channels: ['ONLINE_CHAT'], priorities: ['LOW', 'MEDIUM'], team: 'chat' },
  ],
  teams: {
    desk: { strategy: 'ROUND_ROBIN', agents: [] },
    complaints: { strategy: 'LEAST_OPEN', agents: [{ id: 'c1', available: true }] },
    activation: { strategy: 'ROUND_ROBIN', agents: [{ id: 'a1', available: true }], escalateTo: 'l2' },
    l2: { strategy: 'LEAST_OPEN', agents: [] },
    chat: { strategy: 'ROUND_ROBIN', agents: [{ id: 'a1', available: true }] },
  },
});

describe('case routing', () => {
  describe('rules, in order, by category, priority and channel', () => {
    it.each([
      [{ category: 'COMPLAINT', priority: 'URGENT', channel: 'ONLINE_CHAT' }, 'complaints', 'complaints'],
      [{ category: 'ACTIVATION_FAILED', priority: 'URGENT', channel: 'PHONE' }, 'l2', 'urgent-activation'],
      [{ category: 'ACTIVATION_FAILED', priority: 'HIGH', channel: 'PHONE' }, 'activation', 'activation'],
      [{ category: 'CARD_NOT_RECEIVED', priority: 'LOW', channel: 'ONLINE_CHAT' }, 'activation', 'activation'],
      [{ category: 'OTHER', priority: 'LOW', channel: 'ONLINE_CHAT' }, 'chat', 'chat'],
      [{ category: 'OTHER', priority: 'HIGH', channel: 'ONLINE_CHAT' }, 'desk', null],
      [{ category: 'SUGGESTION', priority: 'LOW', channel: 'EMAIL' }, 'desk', null],
    ] as const)('%j → %s (rule %s)', (facts, team, ruleId) => {
      expect(routeCase(facts, ROUTING)).toEqual({ team, ruleId });
    });

    it('the default file routes every category somewhere it names', () => {
      expect(routeCase({ category: 'COMPLAINT', priority: 'LOW', channel: 'APP' }, DEFAULT_CASE_ROUTING)).toEqual({ team: 'complaints', ruleId: 'complaints' });
      expect(routeCase({ category: 'OTHER', priority: 'LOW', channel: 'APP' }, DEFAULT_CASE_ROUTING)).toEqual({ team: 'service-desk', ruleId: null });
    });
  });

  describe('round-robin inside a team', () => {
    const team: Team = {
      strategy: 'ROUND_ROBIN',
      agents: [
        { id: 'a', available: true },
        { id: 'b', available: false },
        { id: 'c', available: true },
        { id: 'd', available: true },
      ],
    };

    it('goes down the list after the last one routed, skipping agents who are not available', () => {
      expect(chooseAgent(team, { lastAssigned: null })).toBe('a');
      expect(chooseAgent(team, { lastAssigned: 'a' })).toBe('c');
      expect(chooseAgent(team, { lastAssigned: 'd' })).toBe('a');
      // The last one routed may have left the team since: start at the top.
      expect(chooseAgent(team, { lastAssigned: 'zed' })).toBe('a');
    });

    it('is fair: 3 000 cases over 3 available agents give each exactly 1 000, in turn', () => {
      const counts = new Map<string, number>();
      let last: string | null = null;
      const sequence: string[] = [];
      for (let i = 0; i < 3000; i++) {
        last = chooseAgent(team, { lastAssigned: last });
        counts.set(last!, (counts.get(last!) ?? 0) + 1);
        if (i < 6) sequence.push(last!);
      }
      expect(Object.fromEntries(counts)).toEqual({ a: 1000, c: 1000, d: 1000 });
      expect(sequence).toEqual(['a', 'c', 'd', 'a', 'c', 'd']);
    });

    it('gives nobody a case when nobody is available: the case waits in the team queue', () => {
      expect(chooseAgent({ strategy: 'ROUND_ROBIN', agents: [{ id: 'a', available: false }] }, { lastAssigned: null })).toBeNull();
      expect(chooseAgent({ strategy: 'LEAST_OPEN', agents: [] }, { lastAssigned: null })).toBeNull();
    });
  });

  describe('least open cases', () => {
    const team: Team = { strategy: 'LEAST_OPEN', agents: ['a', 'b', 'c'].map((id) => ({ id, available: true })) };

    it('gives the case to the available agent with the fewest open cases', () => {
      expect(chooseAgent(team, { lastAssigned: null, openCases: new Map([['a', 4], ['b', 1], ['c', 2]]) })).toBe('b');
      expect(chooseAgent({ ...team, agents: [{ id: 'a', available: true }, { id: 'b', available: false }, { id: 'c', available: true }] }, { lastAssigned: null, openCases: new Map([['a', 4], ['b', 1], ['c', 2]]) })).toBe('c');
    });

    it('evens out the load and shares ties in turn: from 5/0/2 open, 9 new cases end at 5/5/6 (nobody gets one while another has fewer)', () => {
      const open = new Map([['a', 5], ['b', 0], ['c', 2]]);
      let last: string | null = null;
      for (let i = 0; i < 9; i++) {
        last = chooseAgent(team, { lastAssigned: last, openCases: open });
        open.set(last!, open.get(last!)! + 1);
      }
      expect(Object.fromEntries(open)).toEqual({ a: 5, b: 5, c: 6 });
    });
  });

  describe('checking a routing file', () => {
    it('names every problem by its path', () => {
      const parsed = parseCaseRouting({
        defaultTeam: 'nowhere',
        rules: [{ id: 'r', team: 'ghost', categories: ['NOPE'] }, { id: 'r', team: 'desk', priorities: [] }],
        teams: { desk: { strategy: 'RANDOM', agents: [{ id: 'a', available: 'yes' }, { id: 'a', available: true }], escalateTo: 'desk' } },
      });
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.problems.map((p) => p.field)).toEqual([
        'teams.desk.strategy',
        'teams.desk.agents[0].available',
        'teams.desk.agents[1].id',
        'teams.desk.escalateTo',
        'defaultTeam',
        'rules[0].team',
        'rules[0].categories',
        'rules[1].id',
        'rules[1].priorities',
      ]);
    });

    it('knows which teams an agent is in', () => {
      expect(teamsOfAgent(ROUTING, 'a1')).toEqual(['activation', 'chat']);
      expect(teamsOfAgent(ROUTING, 'nobody')).toEqual([]);
    });
  });
});
