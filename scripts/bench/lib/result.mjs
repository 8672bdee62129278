// The result writer of the scenarios that pass the scenario's name first (e2e, fanout): the same
// file, shape and report as lib/common.mjs's writeResult, which does the writing.
import { writeResult as write } from './common.mjs';

export const writeResult = (scenario, { figures, series = {}, notes = '', ...rest }) =>
  write({ scenario, figures, series, notes, extra: rest });
