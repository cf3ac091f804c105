import assert from "node:assert/strict";
import fc from "fast-check";
import { type Decision, registerValue } from "./decision.ts";
import { decodeDecision, encodeDecision } from "./decision_wire.ts";

/** Any value a register can be given: -2^63 .. 2^64-1, in its prepared form. */
const value = fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }).map(registerValue);
const argValue = fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n });
const args = fc.dictionary(fc.constantFrom("0", "1", "2", "3", "4", "5"), argValue, {
  minKeys: 1,
});
const rule = fc.string();

/** Every kind of decision, with the optional fields present or not. */
const decision: fc.Arbitrary<Decision> = fc.oneof(
  fc.record({ action: fc.constant("allow" as const), rule }, { requiredKeys: ["action"] }),
  fc.record(
    {
      action: fc.constant("deny" as const),
      errno: fc.integer({ min: 1, max: 4095 }),
      rule,
      kernel: fc.constant(true as const),
    },
    { requiredKeys: ["action", "errno"] },
  ),
  fc.record({ action: fc.constant("kill" as const), rule }, { requiredKeys: ["action"] }),
  ...(["return", "result", "perform"] as const).map((action) =>
    fc.record({ action: fc.constant(action), value, rule }, { requiredKeys: ["action", "value"] })
  ),
  fc.record({ action: fc.constant("args" as const), args, rule }, {
    requiredKeys: ["action", "args"],
  }),
  fc.record(
    { action: fc.constant("replace" as const), nr: fc.nat(1023), args, rule },
    { requiredKeys: ["action", "nr", "args"] },
  ),
);

/** Plain objects (fast-check makes some without a prototype), argument keys as strings. */
function normalise(d: Decision): unknown {
  if (d.action !== "args" && d.action !== "replace") return { ...d };
  return { ...d, args: Object.fromEntries(Object.entries(d.args)) };
}

Deno.test("decodeDecision(JSON of encodeDecision(d)) is d, for every kind of decision", () => {
  fc.assert(
    fc.property(decision, (d) => {
      const wire = JSON.parse(JSON.stringify(encodeDecision(d)));
      assert.deepEqual(normalise(decodeDecision(wire)), normalise(d));
    }),
  );
});

Deno.test("encodeDecision(): register values become decimal strings, the rest stays", () => {
  assert.deepEqual(encodeDecision({ action: "return", value: -5, rule: "r" }), {
    action: "return",
    value: "-5",
    rule: "r",
  });
  assert.deepEqual(encodeDecision({ action: "args", args: { 0: 18n, 3: 1n << 40n } }), {
    action: "args",
    args: { 0: "18", 3: "1099511627776" },
  });
  const deny: Decision = { action: "deny", errno: 13 };
  assert.deepEqual(encodeDecision(deny), deny);
  assert.deepEqual(decodeDecision({ action: "result", value: "2147483648" }), {
    action: "result",
    value: 2147483648n,
  });
});
