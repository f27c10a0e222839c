/**
 * A value parser's problem, without the input's name: "expected a number from 1 to 100". Whoever
 * knows the name (a flag, an env var, a scenario field) puts it in front, with the text given.
 */
export class ValueProblem extends Error {
  constructor(readonly expected: string) {
    super(`expected ${expected}`);
  }
}
