import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = Symbol('isPublic');

/** The only way a route opts out of API-key authentication. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
