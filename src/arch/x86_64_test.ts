import assert from "node:assert/strict";
import { REG, Registers } from "./x86_64.ts";

function rax(r: Registers): bigint {
  return new BigUint64Array(r.buffer.buffer)[REG.rax];
}

Deno.test("Registers.setResult: 32-bit numbers, larger numbers and bigints", () => {
  const r = new Registers();
  const cases: [bigint | number, bigint][] = [
    [7, 7n],
    [0, 0n],
    [-13, BigInt.asUintN(64, -13n)],
    [-(2 ** 31), BigInt.asUintN(64, -(2n ** 31n))],
    [2 ** 31 - 1, 2n ** 31n - 1n],
    [2 ** 31, 2n ** 31n],
    [-(2 ** 40), BigInt.asUintN(64, -(2n ** 40n))],
    [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER)],
    [(1n << 64n) - 1n, (1n << 64n) - 1n],
    [-1n, (1n << 64n) - 1n],
    [1n << 63n, 1n << 63n],
  ];
  for (const [value, want] of cases) {
    r.setResult(value);
    assert.equal(rax(r), want, `setResult(${value})`);
    assert.equal(r.result, BigInt.asIntN(64, want), `result after setResult(${value})`);
  }
});

Deno.test("Registers.setArg: numbers and bigints, negative ones in two's complement", () => {
  const r = new Registers();
  r.setArg(0, -1n);
  r.setArg(1, 0x1234);
  r.setArg(5, (1n << 64n) + 5n);
  assert.equal(r.arg(0), (1n << 64n) - 1n);
  assert.equal(r.arg(1), 0x1234n);
  assert.equal(r.arg(5), 5n);
  assert.equal(r.argInt(0), -1);
});
