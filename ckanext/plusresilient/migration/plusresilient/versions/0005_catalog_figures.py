"""The catalogue's figures without reading every report or every scoring

1. ``plusresilient_quality.failed_indicators``: the keys of the MQA
   indicators each dataset fails, beside its figures ("indicators failed
   most" read every current report's JSON: 60 MB at 10,000 datasets).
   Existing rows are filled from their reports.
2. ``plusresilient_quality_trend``: the trend's running sums, per day and
   per kind of visibility (type, organization, private, country, and the
   creator of a private dataset without organization) and band: how many
   datasets enter or leave the count that day and their scores. The trend of
   any caller and filter is then a sum over a few thousand rows instead of a
   pass over every dataset's history. Triggers keep it equal to the history:
   a new scoring re-adds its dataset's contributions, and a dataset whose
   state, type, organization, privacy, country or creator changes (or that
   is purged) moves them. Existing history is added here.

Revision ID: 0005_catalog_figures
Revises: 0004_harvest_identity
Create Date: 2026-12-06

"""
import re

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0005_catalog_figures"
down_revision = "0004_harvest_identity"
branch_labels = None
depends_on = None

SEGMENT = ("day", "package_type", "owner_org", "private", "country", "creator_user_id", "band")

# One dataset's contributions to the sums, times ``sign``: each scoring counts
# from its day until the day of the dataset's next scoring. ``left_out``: its
# history rows to ignore (those just inserted, to take away what was there).
APPLY = """
CREATE OR REPLACE FUNCTION plusresilient_quality_trend_apply(
    pkg text, ptype text, org text, priv boolean, ctry text, creator text,
    sign integer, left_out integer[] DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
    WITH spans AS (
        SELECT h.scored_at, h.overall_band AS band, CAST(h.overall_score AS numeric) AS score,
               lead(h.scored_at) OVER (ORDER BY h.scored_at, h.id) AS leaves
        FROM plusresilient_quality_history AS h
        WHERE h.package_id = pkg AND NOT (h.id = ANY(left_out))
    ),
    changes AS (
        SELECT CAST(scored_at AS date) AS day, band, 1 AS scorings, 1 AS datasets, score FROM spans
        UNION ALL
        SELECT CAST(leaves AS date), band, 0, -1, -score FROM spans WHERE leaves IS NOT NULL
    )
    INSERT INTO plusresilient_quality_trend AS t
        (day, package_type, owner_org, private, country, creator_user_id, band,
         scorings, datasets, score_sum)
    SELECT day, coalesce(ptype, ''), coalesce(org, ''), coalesce(priv, false), coalesce(ctry, ''),
           CASE WHEN coalesce(priv, false) AND org IS NULL THEN coalesce(creator, '') ELSE '' END,
           band, sign * sum(scorings), sign * sum(datasets), sign * sum(score)
    FROM changes
    GROUP BY day, band
    ON CONFLICT (day, package_type, owner_org, private, country, creator_user_id, band)
    DO UPDATE SET scorings = t.scorings + excluded.scorings,
                  datasets = t.datasets + excluded.datasets,
                  score_sum = t.score_sum + excluded.score_sum
$$;
"""

HISTORY_INSERTED = """
CREATE OR REPLACE FUNCTION plusresilient_quality_trend_scored() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    FOR p IN
        SELECT pk.id, pk.type, pk.owner_org, pk.private, pk.extras ->> 'country' AS country,
               pk.creator_user_id, array_agg(n.id) AS new_ids
        FROM new_rows AS n JOIN package AS pk ON pk.id = n.package_id
        WHERE pk.state = 'active'
        GROUP BY pk.id
    LOOP
        PERFORM plusresilient_quality_trend_apply(p.id, p.type, p.owner_org, p.private, p.country,
                                                  p.creator_user_id, -1, p.new_ids);
        PERFORM plusresilient_quality_trend_apply(p.id, p.type, p.owner_org, p.private, p.country,
                                                  p.creator_user_id, 1);
    END LOOP;
    RETURN NULL;
END $$;
"""

PACKAGE_CHANGED = """
CREATE OR REPLACE FUNCTION plusresilient_quality_trend_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT o.id, o.state AS o_state, o.type AS o_type, o.owner_org AS o_org,
               o.private AS o_private, o.extras ->> 'country' AS o_country,
               o.creator_user_id AS o_creator,
               n.state AS n_state, n.type AS n_type, n.owner_org AS n_org,
               n.private AS n_private, n.extras ->> 'country' AS n_country,
               n.creator_user_id AS n_creator
        FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
        WHERE (o.state = 'active' OR n.state = 'active')
          AND (o.state, o.type, o.owner_org, o.private, o.extras ->> 'country', o.creator_user_id)
              IS DISTINCT FROM
              (n.state, n.type, n.owner_org, n.private, n.extras ->> 'country', n.creator_user_id)
          AND EXISTS (SELECT 1 FROM plusresilient_quality_history AS h WHERE h.package_id = o.id)
    LOOP
        IF c.o_state = 'active' THEN
            PERFORM plusresilient_quality_trend_apply(c.id, c.o_type, c.o_org, c.o_private,
                                                      c.o_country, c.o_creator, -1);
        END IF;
        IF c.n_state = 'active' THEN
            PERFORM plusresilient_quality_trend_apply(c.id, c.n_type, c.n_org, c.n_private,
                                                      c.n_country, c.n_creator, 1);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""

PACKAGE_PURGED = """
CREATE OR REPLACE FUNCTION plusresilient_quality_trend_purged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM plusresilient_quality_trend_apply(o.id, o.type, o.owner_org, o.private,
                                              o.extras ->> 'country', o.creator_user_id, -1)
    FROM old_rows AS o
    WHERE o.state = 'active'
      AND EXISTS (SELECT 1 FROM plusresilient_quality_history AS h WHERE h.package_id = o.id);
    RETURN NULL;
END $$;
"""

# CKAN 2.11 keeps a dataset's extras in package_extra rows, not in the
# package.extras column of 2.12 (its migration 106, faster extras): there a
# dataset's country is read from its row, and a change of it, which updates
# package_extra and not package, moves its contributions by a trigger of its own.
# Migration 106 also drops package_extra: on a site moved from 2.11 the function
# then reads the column, so saves keep working until this migration is run
# again for 2.12 (README, upgrading).
COUNTRY_2_11 = """
CREATE OR REPLACE FUNCTION plusresilient_package_country(pkg text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF to_regclass('package_extra') IS NULL THEN
        RETURN (SELECT p.extras ->> 'country' FROM package AS p WHERE p.id = pkg);
    END IF;
    RETURN (SELECT e.value FROM package_extra AS e
            WHERE e.package_id = pkg AND e.key = 'country' AND e.state = 'active'
            ORDER BY e.id LIMIT 1);
END $$;
"""

# One function per event: PostgreSQL gives an INSERT trigger no old rows, a
# DELETE trigger no new ones. {old}: the country before the statement.
COUNTRY_CHANGED_2_11 = """
CREATE OR REPLACE FUNCTION plusresilient_quality_trend_country_{event}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT p.id, p.type, p.owner_org, p.private, p.creator_user_id,
               {old} AS o_country, plusresilient_package_country(p.id) AS n_country
        FROM package AS p
        WHERE p.state = 'active'
          AND p.id IN (SELECT package_id FROM {rows} WHERE key = 'country')
          AND EXISTS (SELECT 1 FROM plusresilient_quality_history AS h WHERE h.package_id = p.id)
    LOOP
        IF c.o_country IS DISTINCT FROM c.n_country THEN
            PERFORM plusresilient_quality_trend_apply(c.id, c.type, c.owner_org, c.private,
                                                      c.o_country, c.creator_user_id, -1);
            PERFORM plusresilient_quality_trend_apply(c.id, c.type, c.owner_org, c.private,
                                                      c.n_country, c.creator_user_id, 1);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""
OLD_COUNTRY_2_11 = """(SELECT o.value FROM old_rows AS o
    WHERE o.package_id = p.id AND o.key = 'country' AND o.state = 'active'
    ORDER BY o.id LIMIT 1)"""
COUNTRY_EVENTS_2_11 = {  # event: (transition tables, rows that changed, old country)
    "insert": ("NEW TABLE AS new_rows", "new_rows", "CAST(NULL AS text)"),
    "update": ("OLD TABLE AS old_rows NEW TABLE AS new_rows", "old_rows", OLD_COUNTRY_2_11),
    "delete": ("OLD TABLE AS old_rows", "old_rows", OLD_COUNTRY_2_11),
}


def _package_has_extras() -> bool:
    return "extras" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("package")}


def _for_this_ckan(sql: str, package_has_extras: bool) -> str:
    if package_has_extras:
        return sql
    return re.sub(r"(\w+)\.extras ->> 'country'", r"plusresilient_package_country(\1.id)", sql)  # pragma: no cover - CKAN 2.11


def _follow_country_2_11():
    op.execute(COUNTRY_2_11)
    for event, (tables, rows, old) in COUNTRY_EVENTS_2_11.items():
        op.execute(COUNTRY_CHANGED_2_11.format(event=event, rows=rows, old=old))
        op.execute(f"""
            CREATE TRIGGER plusresilient_quality_trend_country_{event}
            AFTER {event.upper()} ON package_extra REFERENCING {tables}
            FOR EACH STATEMENT EXECUTE FUNCTION plusresilient_quality_trend_country_{event}()""")


def upgrade():
    op.add_column("plusresilient_quality",
                  sa.Column("failed_indicators", postgresql.ARRAY(sa.UnicodeText), nullable=True))
    # "failed" is passed = false: an indicator not assessable yet has not failed
    op.execute("""
        UPDATE plusresilient_quality AS q
        SET failed_indicators = ARRAY(
            SELECT i ->> 'key'
            FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(CAST(q.report AS jsonb) -> 'metadata' -> 'indicators') = 'array'
                     THEN CAST(q.report AS jsonb) -> 'metadata' -> 'indicators'
                     ELSE CAST('[]' AS jsonb) END) AS i
            WHERE i -> 'passed' = CAST('false' AS jsonb) AND i ->> 'key' IS NOT NULL)
        WHERE q.report IS NOT NULL
    """)

    op.create_table(
        "plusresilient_quality_trend",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("package_type", sa.UnicodeText, nullable=False),
        sa.Column("owner_org", sa.UnicodeText, nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("country", sa.UnicodeText, nullable=False),
        sa.Column("creator_user_id", sa.UnicodeText, nullable=False),
        sa.Column("band", sa.UnicodeText, nullable=False),
        sa.Column("scorings", sa.Integer, nullable=False),
        sa.Column("datasets", sa.Integer, nullable=False),
        sa.Column("score_sum", sa.Numeric, nullable=False),
        sa.PrimaryKeyConstraint(*SEGMENT, name="plusresilient_quality_trend_pkey"),
    )
    op.execute(APPLY)
    has_extras = _package_has_extras()
    if not has_extras:  # pragma: no cover - CKAN 2.11
        _follow_country_2_11()
    for function in (HISTORY_INSERTED, PACKAGE_CHANGED, PACKAGE_PURGED):
        op.execute(_for_this_ckan(function, has_extras))
    op.execute("""
        CREATE TRIGGER plusresilient_quality_trend_scored
        AFTER INSERT ON plusresilient_quality_history REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION plusresilient_quality_trend_scored()""")
    op.execute("""
        CREATE TRIGGER plusresilient_quality_trend_moved
        AFTER UPDATE ON package REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION plusresilient_quality_trend_moved()""")
    op.execute("""
        CREATE TRIGGER plusresilient_quality_trend_purged
        AFTER DELETE ON package REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION plusresilient_quality_trend_purged()""")
    op.execute(_for_this_ckan("""
        SELECT plusresilient_quality_trend_apply(p.id, p.type, p.owner_org, p.private,
                                                 p.extras ->> 'country', p.creator_user_id, 1)
        FROM package AS p
        WHERE p.state = 'active'
          AND EXISTS (SELECT 1 FROM plusresilient_quality_history AS h WHERE h.package_id = p.id)""",
        has_extras))


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS plusresilient_quality_trend_purged ON package")
    op.execute("DROP TRIGGER IF EXISTS plusresilient_quality_trend_moved ON package")
    op.execute("DROP TRIGGER IF EXISTS plusresilient_quality_trend_scored ON plusresilient_quality_history")
    for event in COUNTRY_EVENTS_2_11:  # CKAN 2.11's, with their triggers
        op.execute(f"DROP FUNCTION IF EXISTS plusresilient_quality_trend_country_{event}() CASCADE")
    op.execute("DROP FUNCTION IF EXISTS plusresilient_package_country(text)")
    for function in ("plusresilient_quality_trend_purged()", "plusresilient_quality_trend_moved()",
                     "plusresilient_quality_trend_scored()",
                     "plusresilient_quality_trend_apply(text, text, text, boolean, text, text, integer, integer[])"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("plusresilient_quality_trend")
    op.drop_column("plusresilient_quality", "failed_indicators")
