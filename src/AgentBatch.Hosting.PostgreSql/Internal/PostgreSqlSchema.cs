using Npgsql;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>The store's one schema, created and migrated idempotently: every worker may run this at start, at once.</summary>
/// <remarks>
/// Migrations run in order under a transaction-scoped advisory lock, so workers starting together apply each one once;
/// the schema's version is a row of its own. A migration is never changed once released: a change is a new one.
/// </remarks>
internal static class PostgreSqlSchema
{
    /// <summary>The migrations, version 1 first. Each takes the schema's quoted name.</summary>
    private static readonly Func<string, string>[] Migrations =
    [
        s => $"""
            CREATE TABLE {s}.workers (
                id uuid PRIMARY KEY,
                host text NOT NULL,
                pid integer NOT NULL,
                started_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL);

            CREATE TABLE {s}.sets (
                id bigserial PRIMARY KEY,
                name text NOT NULL,
                run integer NOT NULL,
                state smallint NOT NULL,
                started_at timestamptz NOT NULL,
                identity text NULL,
                documents_added boolean NOT NULL DEFAULT false,
                finisher uuid NULL,
                finish_until timestamptz NULL,
                UNIQUE (name, run));

            -- state: 0 pending, 1 leased, 2 recorded. A recorded document's text is dropped: it is never sent again. A document
            -- given back after a failure that was not its own waits for retry_at before the worker that gave it back (released_by)
            -- takes it again; any other worker may take it at once.
            CREATE TABLE {s}.documents (
                set_id bigint NOT NULL REFERENCES {s}.sets (id),
                seq integer NOT NULL,
                key text NOT NULL,
                name text NOT NULL,
                text text NULL,
                problem text NULL,
                state smallint NOT NULL DEFAULT 0,
                owner uuid NULL,
                lease_until timestamptz NULL,
                fence bigint NOT NULL DEFAULT 0,
                retry_at timestamptz NULL,
                released_by uuid NULL,
                PRIMARY KEY (set_id, seq),
                UNIQUE (set_id, key));
            CREATE INDEX documents_open ON {s}.documents (set_id, seq) WHERE state < 2;
            CREATE INDEX documents_leased_by ON {s}.documents (owner) WHERE state = 1;

            CREATE TABLE {s}.results (
                set_id bigint NOT NULL REFERENCES {s}.sets (id),
                key text NOT NULL,
                recorded bigserial,
                line text NOT NULL,
                PRIMARY KEY (set_id, key));
            CREATE INDEX results_in_order ON {s}.results (set_id, recorded);

            -- A resumable batch's final results (BatchCheckpoint), by run, fingerprint and item.
            CREATE TABLE {s}.batch_items (
                run_key text NOT NULL,
                fingerprint text NOT NULL,
                item_key text NOT NULL,
                entry text NOT NULL,
                PRIMARY KEY (run_key, fingerprint, item_key));

            CREATE TABLE {s}.spend_accounts (
                name text PRIMARY KEY,
                tokens bigint NOT NULL DEFAULT 0,
                cost numeric NOT NULL DEFAULT 0);

            CREATE TABLE {s}.spend_reservations (
                id bigserial PRIMARY KEY,
                account text NOT NULL,
                owner uuid NOT NULL,
                tokens bigint NOT NULL,
                cost numeric NOT NULL);
            CREATE INDEX spend_reservations_by_account ON {s}.spend_reservations (account);

            CREATE TABLE {s}.rate_window (
                id bigserial PRIMARY KEY,
                ledger text NOT NULL,
                at timestamptz NOT NULL,
                tokens bigint NOT NULL);
            CREATE INDEX rate_window_by_ledger ON {s}.rate_window (ledger, at);

            -- One request of p_tokens, admitted when it fits both limits over the window, or the wait until the oldest
            -- charge leaves it. Serialized per ledger, so workers on any machine see one window.
            CREATE FUNCTION {s}.rate_acquire(p_ledger text, p_tokens bigint, p_tpm bigint, p_rpm bigint, p_window interval)
            RETURNS TABLE (lease_id bigint, wait_ms double precision)
            LANGUAGE plpgsql AS $fn$
            DECLARE
                v_now timestamptz := clock_timestamp();
                v_used bigint;
                v_count bigint;
                v_oldest timestamptz;
                v_id bigint;
            BEGIN
                PERFORM pg_advisory_xact_lock(hashtext('agentbatch-rate:' || p_ledger));
                DELETE FROM {s}.rate_window WHERE ledger = p_ledger AND at <= v_now - p_window;
                SELECT coalesce(sum(tokens), 0), count(*), min(at) INTO v_used, v_count, v_oldest
                FROM {s}.rate_window WHERE ledger = p_ledger;
                IF (p_tpm IS NULL OR v_used + p_tokens <= p_tpm) AND (p_rpm IS NULL OR v_count + 1 <= p_rpm) THEN
                    INSERT INTO {s}.rate_window (ledger, at, tokens) VALUES (p_ledger, v_now, p_tokens) RETURNING id INTO v_id;
                    RETURN QUERY SELECT v_id, 0::double precision;
                ELSE
                    RETURN QUERY SELECT NULL::bigint, greatest(1, extract(epoch FROM (v_oldest + p_window - v_now)) * 1000)::double precision;
                END IF;
            END
            $fn$;

            -- What an account has spent and reserved, after charging the reservations of workers that stopped renewing
            -- their heartbeat: they may have been billed. Locks the account row for the caller's transaction.
            CREATE FUNCTION {s}.spend_open(p_account text, p_lease interval)
            RETURNS TABLE (spent_tokens bigint, spent_cost numeric, reserved_tokens bigint, reserved_cost numeric, outstanding bigint)
            LANGUAGE plpgsql AS $fn$
            DECLARE
                v_tokens bigint;
                v_cost numeric;
            BEGIN
                INSERT INTO {s}.spend_accounts (name) VALUES (p_account) ON CONFLICT (name) DO NOTHING;
                PERFORM 1 FROM {s}.spend_accounts WHERE name = p_account FOR UPDATE;
                WITH dead AS (
                    DELETE FROM {s}.spend_reservations r
                    WHERE r.account = p_account
                      AND NOT EXISTS (SELECT 1 FROM {s}.workers w WHERE w.id = r.owner AND w.heartbeat_at > clock_timestamp() - p_lease)
                    RETURNING r.tokens, r.cost)
                SELECT coalesce(sum(tokens), 0), coalesce(sum(cost), 0) INTO v_tokens, v_cost FROM dead;
                UPDATE {s}.spend_accounts SET tokens = tokens + v_tokens, cost = cost + v_cost WHERE name = p_account;
                RETURN QUERY
                    SELECT a.tokens, a.cost, coalesce(sum(r.tokens), 0)::bigint, coalesce(sum(r.cost), 0), count(r.id)
                    FROM {s}.spend_accounts a LEFT JOIN {s}.spend_reservations r ON r.account = a.name
                    WHERE a.name = p_account
                    GROUP BY a.tokens, a.cost;
            END
            $fn$;

            -- Reserves p_tokens and p_cost when they fit the caps beside what is spent and reserved; returns the
            -- reservation (or null) and the figures it was judged by, so the caller can lower its call or wait.
            CREATE FUNCTION {s}.spend_reserve(
                p_account text, p_lease interval, p_owner uuid, p_tokens bigint, p_cost numeric, p_max_tokens bigint, p_max_cost numeric)
            RETURNS TABLE (reservation_id bigint, spent_tokens bigint, spent_cost numeric, reserved_tokens bigint, reserved_cost numeric, outstanding bigint)
            LANGUAGE plpgsql AS $fn$
            DECLARE
                o record;
                v_id bigint;
            BEGIN
                SELECT * INTO o FROM {s}.spend_open(p_account, p_lease);
                IF (p_max_tokens IS NULL OR o.spent_tokens + o.reserved_tokens + p_tokens <= p_max_tokens)
                   AND (p_max_cost IS NULL OR o.spent_cost + o.reserved_cost + p_cost <= p_max_cost) THEN
                    INSERT INTO {s}.spend_reservations (account, owner, tokens, cost) VALUES (p_account, p_owner, p_tokens, p_cost) RETURNING id INTO v_id;
                END IF;
                RETURN QUERY SELECT v_id, o.spent_tokens, o.spent_cost, o.reserved_tokens, o.reserved_cost, o.outstanding;
            END
            $fn$;
            """,
    ];

    public static int LatestVersion => Migrations.Length;

    /// <summary>Creates the schema or brings it up to <see cref="LatestVersion"/>; a no-op when it is there.</summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        var quoted = Quote(schema);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock(hashtext('agentbatch-schema:' || @schema))", cancellationToken, ("schema", schema)).ConfigureAwait(false);
                await ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {quoted}; CREATE TABLE IF NOT EXISTS {quoted}.schema_version (version integer NOT NULL)", cancellationToken).ConfigureAwait(false);
                var version = await CurrentVersionAsync(connection, transaction, quoted, cancellationToken).ConfigureAwait(false);
                if (version > LatestVersion)
                {
                    throw new InvalidOperationException(
                        $"The PostgreSQL schema '{schema}' is at version {version}, newer than this AgentBatch.Hosting.PostgreSql knows ({LatestVersion}); upgrade every worker to the same version.");
                }

                for (var next = version + 1; next <= LatestVersion; next++)
                {
                    await ExecuteAsync(connection, transaction, Migrations[next - 1](quoted), cancellationToken).ConfigureAwait(false);
                }

                if (version < LatestVersion)
                {
                    await ExecuteAsync(connection, transaction, $"DELETE FROM {quoted}.schema_version; INSERT INTO {quoted}.schema_version (version) VALUES ({LatestVersion})", cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Quotes a schema name already checked to be a plain identifier.</summary>
    public static string Quote(string schema) => "\"" + schema + "\"";

    private static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string quoted, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {quoted}.schema_version", connection, transaction);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
