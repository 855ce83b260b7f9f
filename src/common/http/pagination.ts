import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { Brackets, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ProblemException } from '../errors/problem';

/** The page size of every list; each list's cursor format is its own (see ListQueryDto). */
export class PageLimitDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;
}

/** Lists of our own objects: the cursor is one of our UUIDs. */
export class ListQueryDto extends PageLimitDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Our id of the last object of the previous page' })
  @IsOptional()
  @IsUUID()
  startingAfter?: string;
}

/** What paginate() needs of a list query: lists with their own cursor format declare these themselves. */
export interface PageQuery {
  limit: number;
  startingAfter?: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

/** Newest first (`by` desc, then id desc); the cursor is the id of the last object already seen. */
export async function paginate<E extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<E>,
  query: PageQuery,
  by: keyof E & string = 'createdAt',
): Promise<Page<E>> {
  const alias = qb.alias;
  const order = `${alias}.${by}`;
  if (query.startingAfter) {
    const cursor = await qb
      .clone()
      .select([`${alias}.id`, order])
      .where(`${alias}.id = :cursor`, { cursor: query.startingAfter })
      .getOne();
    if (!cursor)
      throw new ProblemException(400, 'invalid_cursor', 'startingAfter does not name an object of this list.', {
        errors: [{ field: 'startingAfter', message: 'unknown id' }],
      });
    qb.andWhere(new Brackets((w) => w.where(`${order} < :cursorAt`).orWhere(`${order} = :cursorAt AND ${alias}.id < :cursorId`)), {
      cursorAt: cursor[by],
      cursorId: cursor.id,
    });
  }
  const rows = await qb
    .orderBy(order, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .take(query.limit + 1)
    .getMany();
  const hasMore = rows.length > query.limit;
  const data = rows.slice(0, query.limit);
  return { data, hasMore, nextCursor: hasMore ? data[data.length - 1].id : null };
}

/** OpenAPI shape of a page of T. */
export function PageDto<T>(item: new () => T) {
  class PageOf {
    @ApiProperty({ type: [item] })
    data: T[];

    @ApiProperty({ example: false })
    hasMore: boolean;

    @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as startingAfter to get the next page' })
    nextCursor: string | null;
  }
  Object.defineProperty(PageOf, 'name', { value: `${item.name.replace(/Response$/, '')}Page` });
  return PageOf;
}
