import { ValidateBy, ValidationOptions } from 'class-validator';
import { looksLikeCardNumber } from '../logging/redact';
import { LOCAL_ID_METADATA_KEY } from '../stripe-sync';

// 13 to 19 digits, optionally grouped by spaces or dashes (same shape the log redactor hunts).
const PAN_CANDIDATE = /\d(?:[ -]?\d){12,18}/g;

export function containsCardNumber(value: unknown): boolean {
  if (typeof value === 'string') return (value.match(PAN_CANDIDATE) ?? []).some(looksLikeCardNumber);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsCardNumber);
  return false;
}

/** Refuses any value holding something shaped like a card number: this service never handles card data. */
export const NoCardNumber = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'noCardNumber',
      validator: {
        validate: (value: unknown) => !containsCardNumber(value),
        defaultMessage: (args) =>
          `${args?.property} must not contain a card number: card data is never accepted, send a payment method id (pm_...)`,
      },
    },
    options,
  );

/** Stripe's metadata rules (at most 50 keys, key <= 40 chars without brackets, string value <= 500) and our reserved key. */
export const IsStripeMetadata = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isStripeMetadata',
      validator: {
        validate: (value: unknown) => {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          return (
            entries.length <= 50 &&
            entries.every(
              ([k, v]) =>
                k.length >= 1 &&
                k.length <= 40 &&
                !/[[\]]/.test(k) &&
                k !== LOCAL_ID_METADATA_KEY &&
                typeof v === 'string' &&
                v.length <= 500,
            )
          );
        },
        defaultMessage: (args) =>
          `${args?.property} must be an object of at most 50 string values (keys up to 40 characters, values up to 500); the key ${LOCAL_ID_METADATA_KEY} is reserved`,
      },
    },
    options,
  );

export const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]+$/;
