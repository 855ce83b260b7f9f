import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '../../database/columns';

/**
 * The columns every row the mirror mechanism keeps has besides its resource's own: our id and the two
 * Stripe clocks its order rules read (see StripeMirror.guard). Entities extend it rather than repeat them.
 */
export abstract class MirroredRow {
  @PrimaryColumn('uuid')
  id: string;

  /** `created` of the last Stripe event applied (older events are ignored). */
  @Column({ name: 'stripe_event_created', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeEventCreated: number | null;

  /** Stripe's time of the last fresh answer written here (our own call or a retrieve): events up to it are older. */
  @Column({ name: 'stripe_synced_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeSyncedAt: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
