import { ValueTransformer } from 'typeorm';

/** Money is bigint minor units in the database; amounts stay far below 2^53, so numbers are exact in JS. */
export const bigintAsNumber: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | null) => (value === null || value === undefined ? value : Number(value)),
};
