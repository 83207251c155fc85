import type { Selectable } from 'kysely';
import type { AdvisorySeverity, VulnerabilityAdvisory } from '../../protocol/vulnerability-info.ts';
import type { VulnerabilityAdvisoriesTable } from './schema.ts';

export const toAdvisory = (row: Selectable<VulnerabilityAdvisoriesTable>): VulnerabilityAdvisory => ({
  lowerId: row.lower_id,
  url: row.url,
  severity: Number(row.severity) as AdvisorySeverity,
  versions: row.versions,
  updated: row.updated,
});
