import type { ObjectLiteral, Repository } from 'typeorm';

/** Hydrates an entity from a raw `RETURNING *` row (column transformers included), saving a read-back query. */
export function entityFromRow<E extends ObjectLiteral>(repository: Repository<E>, row: Record<string, unknown>): E {
  const entity = repository.create();
  const driver = repository.manager.connection.driver;
  for (const column of repository.metadata.columns) {
    column.setEntityValue(entity, driver.prepareHydratedValue(row[column.databaseName], column));
  }
  return entity;
}
