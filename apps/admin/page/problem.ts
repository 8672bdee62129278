/** What the page reads of a problem+json answer; anything else in it is ignored. */
interface ProblemBody {
  readonly title?: unknown;
  readonly detail?: unknown;
  readonly errors?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** "400 Bad Request: detail" plus " — path: message" per invalid field, from a problem+json answer. */
export function describeProblem(status: number, problem: unknown): string {
  const body: ProblemBody = isObject(problem) ? problem : {};
  const head = `${status} ${text(body.title)}: ${text(body.detail) || 'no details'}`;
  const fields = Array.isArray(body.errors)
    ? body.errors.map((e: unknown) => (isObject(e) ? `${String(e.path)}: ${String(e.message)}` : String(e)))
    : [];
  return [head, ...fields].join(' — ');
}
