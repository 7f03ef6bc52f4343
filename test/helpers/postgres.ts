import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  url: string
  name: string
  drop: () => Promise<void>
}

/** A uniquely named database on the local PostgreSQL, dropped (with any connection left to it) by `drop`. */
export async function createTestDatabase (label: string): Promise<TestDatabase> {
  const name = `c2a_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`)
  return {
    url,
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    }
  }
}
