import { classifyCase, DEFAULT_CLASSIFICATION_RULES, parseClassificationRules, type CardEventFact, type ClassificationRules } from './classification-rules';

const NOW = '2026-11-23T09:00:00.000Z';
const daysAgo = (days: number): string => new Date(Date.parse(NOW) - days * 86_400_000).toISOString();
const classify = (description: string, cardEvents: CardEventFact[] = [], rules: ClassificationRules = DEFAULT_CLASSIFICATION_RULES) =>
  classifyCase({ description, cardEvents, now: NOW }, rules);

describe('case classification rules', () => {
  describe('the default rules (default-classification-rules.json)', () => {
    it.each([
      ['我的卡激活失败了', 'ACTIVATION_FAILED', 'activation-words'],
      ['Activation failed twice at the ATM', 'ACTIVATION_FAILED', 'activation-words'],
      ["I can’t activate the card", 'ACTIVATION_FAILED', 'activation-words'],
      ['一直没收到短信验证码', 'NOTIFICATION_NOT_RECEIVED', 'notification-words'],
      ['I never got the message after activating', 'NOTIFICATION_NOT_RECEIVED', 'notification-words'],
      ['两周了还没收到卡', 'CARD_NOT_RECEIVED', 'card-not-received-words'],
      ['My card never arrived', 'CARD_NOT_RECEIVED', 'card-not-received-words'],
      ['账户上的姓名错误', 'IDENTITY_PROBLEM', 'identity-words'],
      ['I want to change my address', 'INFO_CHANGE', 'info-change-words'],
      ['想要一个靓号', 'NUMBER_REQUEST', 'number-words'],
      ['建议增加夜间客服', 'SUGGESTION', 'suggestion-words'],
      ['我要投诉，客服态度差', 'COMPLAINT', 'complaint-words'],
      ['The clerk was RUDE', 'COMPLAINT', 'complaint-words'],
    ])('%s → %s (%s)', (description, category, ruleId) => {
      expect(classify(description)).toEqual({ category, ruleId });
    });

    it('proposes nothing when no rule matches', () => {
      expect(classify('Hello, a question about fees')).toBeNull();
    });

    it('matches Latin keywords as whole words only, after NFKC (full-width letters)', () => {
      expect(classify('smsc routing question')).toBeNull();
      expect(classify('ＮＯ ＳＭＳ since Monday')).toEqual({ category: 'NOTIFICATION_NOT_RECEIVED', ruleId: 'notification-words' });
    });

    it('the card\'s recent failed activation attempts propose ACTIVATION_FAILED whatever the words', () => {
      const attempts = [{ type: 'CardIssued', occurredAt: daysAgo(20) }, { type: 'ActivationAttemptFailed', occurredAt: daysAgo(2) }];
      expect(classify('Customer called about the card', attempts)).toEqual({ category: 'ACTIVATION_FAILED', ruleId: 'recent-failed-activation' });
    });

    it('an attempt older than the rule\'s window does not count', () => {
      expect(classify('Customer called about the card', [{ type: 'ActivationAttemptFailed', occurredAt: daysAgo(8) }])).toBeNull();
    });

    it('rules are evaluated in order: a complaint stays a complaint even with failed attempts', () => {
      expect(classify('投诉：激活失败三次', [{ type: 'ActivationAttemptFailed', occurredAt: daysAgo(1) }])).toEqual({ category: 'COMPLAINT', ruleId: 'complaint-words' });
    });
  });

  describe('a rule with both conditions needs both', () => {
    const parsed = parseClassificationRules({
      rules: [{ id: 'both', category: 'IDENTITY_PROBLEM', keywords: ['face'], cardEvents: { types: ['IdentityVerificationFailed'], withinDays: 3, atLeast: 2 } }],
    });
    if (!parsed.ok) throw new Error('rules');
    const failures = [daysAgo(1), daysAgo(2)].map((occurredAt) => ({ type: 'IdentityVerificationFailed', occurredAt }));
    it.each([
      ['face check failed', failures, 'both'],
      ['face check failed', failures.slice(1), null],
      ['document check', failures, null],
    ])('%s with %# events', (description, events, expected) => {
      expect(classify(description, events, parsed.rules)?.ruleId ?? null).toBe(expected);
    });
  });

  describe('checking a rules file', () => {
    it('names every problem by its path', () => {
      const parsed = parseClassificationRules({
        rules: [
          { id: 'Bad Id', category: 'NOPE', keywords: [] },
          { id: 'ok', category: 'OTHER' },
          { id: 'ok', category: 'OTHER', cardEvents: { types: ['lowercase'], withinDays: 0, atLeast: 0 } },
        ],
      });
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.problems.map((p) => p.field)).toEqual([
        'rules[0].id',
        'rules[0].category',
        'rules[0].keywords',
        'rules[1]',
        'rules[2].id',
        'rules[2].cardEvents.types',
        'rules[2].cardEvents.withinDays',
        'rules[2].cardEvents.atLeast',
      ]);
    });

    it('refuses a document without a list of rules', () => {
      expect(parseClassificationRules({})).toEqual({ ok: false, problems: [{ field: 'rules', reason: 'must be a list of rules' }] });
    });
  });
});
