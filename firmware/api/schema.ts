import { Type, type Static, type TSchema } from '@sinclair/typebox';

export { Type, type Static, type TSchema };

/** A string enum: one JSON Schema `enum`, one TypeScript union of its literals. */
export function OneOf<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

/** `T | null` with a description on the whole. */
export function Nullable<T extends TSchema>(schema: T, description?: string) {
  return Type.Union([schema, Type.Null()], description ? { description } : {});
}

/** ISO 8601 UTC time of the moment a fact happened. */
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC time of the fact' });
