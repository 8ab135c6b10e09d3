using System.Text.Json;
using Npgsql;

namespace AgentBatch.Hosting.Tests;

/// <summary>The shared store on a real PostgreSQL: its schema, its leases and their fence, its one finisher, its shared ledgers.</summary>
/// <remarks>
/// A worker dying is played by moving its lease (or its heartbeat) into the past in the database, which is what the
/// passing of time does to a worker that stopped renewing them: no test waits for a lease to run out.
/// </remarks>
public sealed class PostgreSqlCheckpointStoreTests : IAsyncLifetime
{
    private readonly string _schema = PostgreSqlServer.NewSchema();
    private readonly List<PostgreSqlCheckpointStore> _stores = [];
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync() => _dataSource = await PostgreSqlServer.DataSourceAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task Schema_WorkersStartingTogether_CreateItOnce_AndStartingAgainChangesNothing()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => Store()).ToList();

        await Task.WhenAll(stores.Select(s => s.StartAsync()));
        await Store().StartAsync();

        Assert.Equal(1, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.schema_version"));
        Assert.Equal(5L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.workers"));
    }

    [Fact]
    public async Task Claim_ByWorkersAtOnce_LeasesEachDocumentToOneOfThem_InTheSetsOrder()
    {
        var (store, run) = await OpenWithDocumentsAsync(300);
        var workers = new[] { store, Store(), Store() };

        var claimed = await Task.WhenAll(workers.Select(async worker =>
        {
            var mine = new List<DocumentLease>();
            while (await worker.ClaimAsync(run, 7) is { Count: > 0 } leases)
            {
                mine.AddRange(leases);
            }

            return mine;
        }));

        var keys = claimed.SelectMany(c => c.Select(l => l.Document.Key)).ToList();
        Assert.Equal(300, keys.Count);
        Assert.Equal(300, keys.Distinct().Count());
        Assert.All(claimed, mine => Assert.Equal(mine.Select(l => l.Document.Key).Order(StringComparer.Ordinal), mine.Select(l => l.Document.Key)));
        Assert.Equal(new DocumentSetProgress(0, 0, 300, 0), await store.GetProgressAsync(run));
    }

    [Fact]
    public async Task AddDocuments_ByWorkersAtOnce_AddsThemOnce()
    {
        var store = Store();
        var run = await store.OpenSetAsync("set", "identity");
        var reads = 0;
        IEnumerable<SetDocument> Read()
        {
            Interlocked.Increment(ref reads);
            return Documents(50);
        }

        var added = await Task.WhenAll(new[] { store, Store(), Store() }.Select(s => s.AddDocumentsAsync(run, Read)));

        Assert.Equal(1, added.Count(a => a));
        Assert.Equal(1, reads);
        Assert.Equal(50, (await store.GetProgressAsync(run)).Pending);
    }

    [Fact]
    public async Task Record_UnderALeaseThatRanOutAndWasTaken_RecordsNothing_TheNewHoldersResultStands()
    {
        var (first, run) = await OpenWithDocumentsAsync(1);
        var second = Store();
        var stale = Assert.Single(await first.ClaimAsync(run, 1));

        // The first worker stopped renewing its lease long enough for it to run out; the second takes the document.
        await ExecuteAsync($"UPDATE {_schema}.documents SET lease_until = clock_timestamp() - interval '1 second'");
        var taken = Assert.Single(await second.ClaimAsync(run, 1));

        Assert.False(await first.RecordAsync(stale, Result(stale, "late")));
        Assert.True(await second.RecordAsync(taken, Result(taken, "in time")));
        Assert.False(await second.RecordAsync(taken, Result(taken, "twice")));
        var recorded = Assert.Single(await ToListAsync(first.ReadResultsAsync(run)));
        Assert.Equal("in time", recorded.Output!.Value.GetString());
        Assert.Empty(await first.ClaimAsync(run, 10));
        Assert.True(taken.Fence > stale.Fence);
    }

    [Fact]
    public async Task Record_AfterTheLeaseRanOutButNobodyTookIt_IsStillRecorded_AndTheDocumentIsNeverLeasedAgain()
    {
        var (store, run) = await OpenWithDocumentsAsync(2);
        var leases = await store.ClaimAsync(run, 2);
        await ExecuteAsync($"UPDATE {_schema}.documents SET lease_until = clock_timestamp() - interval '1 second'");

        Assert.True(await store.RecordAsync(leases[0], Result(leases[0], "ok")));
        var again = Assert.Single(await Store().ClaimAsync(run, 10));
        Assert.Equal(leases[1].Document.Key, again.Document.Key);
        Assert.Equal(new DocumentSetProgress(0, 0, 1, 1), await store.GetProgressAsync(run));
    }

    [Fact]
    public async Task Release_WithARetryDelay_TheSameWorkerWaitsUntilThen_AnotherTakesItAtOnce()
    {
        var (store, run) = await OpenWithDocumentsAsync(2);
        var leases = await store.ClaimAsync(run, 2);

        await store.ReleaseAsync(leases[0], TimeSpan.FromHours(1));
        await store.ReleaseAsync(leases[1], TimeSpan.Zero);

        Assert.Equal(new DocumentSetProgress(1, 1, 0, 0), await store.GetProgressAsync(run));
        Assert.Equal(leases[1].Document.Key, Assert.Single(await store.ClaimAsync(run, 10)).Document.Key);
        var other = Store();
        Assert.Equal(new DocumentSetProgress(1, 0, 1, 0), await other.GetProgressAsync(run));
        Assert.Equal(leases[0].Document.Key, Assert.Single(await other.ClaimAsync(run, 10)).Document.Key);
        Assert.False(await store.TryBeginFinishAsync(run));
    }

    [Fact]
    public async Task DisposedWorker_ItsLeasesAreFreeForOthersAtOnce()
    {
        var (store, run) = await OpenWithDocumentsAsync(3);
        var leaving = Store();
        Assert.Equal(3, (await leaving.ClaimAsync(run, 3)).Count);

        _stores.Remove(leaving);
        await leaving.DisposeAsync();

        Assert.Equal(3, (await store.ClaimAsync(run, 3)).Count);
    }

    [Fact]
    public async Task TryBeginFinish_WhileDocumentsLackAResult_IsRefused_ThenOneWorkerOfMany_AndAnotherWhenItDies()
    {
        var (store, run) = await OpenWithDocumentsAsync(1);
        var lease = Assert.Single(await store.ClaimAsync(run, 1));
        Assert.False(await store.TryBeginFinishAsync(run));
        await store.RecordAsync(lease, Result(lease, "done"));

        var workers = new[] { store, Store(), Store() };
        var taken = await Task.WhenAll(workers.Select(w => w.TryBeginFinishAsync(run)));

        Assert.Equal(1, taken.Count(t => t));
        Assert.Equal(DocumentSetState.Completed, (await store.OpenSetAsync("set", "identity")).State);
        var finisher = workers[Array.IndexOf(taken, true)];
        Assert.True(await finisher.TryBeginFinishAsync(run));

        // The finisher died before archiving: once its right to finish runs out, another worker finishes the set.
        await ExecuteAsync($"UPDATE {_schema}.sets SET finish_until = clock_timestamp() - interval '1 second'");
        Assert.True(await workers.First(w => w != finisher).TryBeginFinishAsync(run));
    }

    [Fact]
    public async Task OpenSet_ByWorkersAtOnce_SeesOneRun_AnotherIdentityStartsTheNext()
    {
        var stores = new[] { Store(), Store(), Store() };

        var runs = await Task.WhenAll(stores.Select(s => s.OpenSetAsync("weekly", "first")));
        var next = await stores[0].OpenSetAsync("weekly", "second");

        Assert.Single(runs.Select(r => r.SetId).Distinct());
        Assert.Equal((2, DocumentSetState.Running), (next.RunNumber, next.State));
        Assert.NotEqual(runs[0].SetId, next.SetId);
    }

    [Fact]
    public async Task SpendLedger_SharedByWorkersAtOnce_NeverReservesPastTheCap()
    {
        const long Cap = 10_000;
        var workers = new[] { Store(), Store(), Store() };
        var ledgers = workers.Select(w => w.CreateSpendLedger("team", Cap, null)).ToList();
        var estimate = new CallEstimate(300, 100, null);

        var granted = await Task.WhenAll(ledgers.Select(async ledger =>
        {
            var count = 0;
            try
            {
                while (true)
                {
                    var reservation = await ledger.ReserveAsync(estimate, count, CancellationToken.None);
                    count++;

                    // Each call really used three quarters of its estimate.
                    ledger.Settle(reservation, 300, 0m);
                }
            }
            catch (BudgetExceededException)
            {
                return count;
            }
        }));

        await Task.WhenAll(workers.Select(w => w.FlushAsync()));
        var spent = await ScalarAsync<long>($"SELECT tokens FROM {_schema}.spend_accounts WHERE name = 'team'");
        Assert.InRange(spent, 0, Cap);
        Assert.Equal(granted.Sum() * 300L, spent);
        Assert.True(granted.Sum() >= 30, $"{granted.Sum()} calls granted under a cap that pays for 33 at their real usage");
    }

    [Fact]
    public async Task SpendLedger_ReservationsOfAWorkerThatStoppedItsHeartbeat_CountAsSpent()
    {
        var dying = Store();
        var alive = Store();
        var estimate = new CallEstimate(600, 400, null);
        await dying.CreateSpendLedger("set:42", 2_500, null).ReserveAsync(estimate, 0, CancellationToken.None);
        await dying.CreateSpendLedger("set:42", 2_500, null).ReserveAsync(estimate, 1, CancellationToken.None);

        // Its heartbeat has not been renewed for longer than a lease: its calls may have been billed.
        await ExecuteAsync($"UPDATE {_schema}.workers SET heartbeat_at = clock_timestamp() - interval '1 hour' WHERE id = '{dying.WorkerId}'");
        var ledger = alive.CreateSpendLedger("set:42", 2_500, null);
        var error = await Assert.ThrowsAsync<BudgetExceededException>(() => ledger.ReserveAsync(estimate, 0, CancellationToken.None).AsTask());

        Assert.Equal(2_000, ledger.SpentTokens);
        Assert.Equal(500, error.Remaining);
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.spend_reservations"));
    }

    [Fact]
    public async Task SpendLedger_WhenOnlyALowerOutputFits_AndNothingIsInFlight_LowersIt()
    {
        var ledger = Store().CreateSpendLedger("low", 1_000, null);
        var reservation = await ledger.ReserveAsync(new CallEstimate(400, 1_000, null), 0, CancellationToken.None);

        Assert.Equal((1_000L, 600), (reservation.Tokens, reservation.OutputLimit));
        await Assert.ThrowsAsync<BudgetExceededException>(() => Store().CreateSpendLedger("huge", 1_000, null).ReserveAsync(new CallEstimate(900, 1_000, null), 0, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task RateLedger_SharedByWorkers_AdmitsNoMoreThanTheLimitInAWindow_AndSaysHowLongToWait()
    {
        var workers = new[] { Store(), Store(), Store() };

        var admitted = await Task.WhenAll(workers.Select(async worker =>
        {
            var count = 0;
            while ((await worker.TryAcquireRateAsync("key", 1_000, 10_000, 100, CancellationToken.None)).Id is not null)
            {
                count++;
            }

            return count;
        }));
        var (id, wait) = await workers[0].TryAcquireRateAsync("key", 1_000, 10_000, 100, CancellationToken.None);

        Assert.Equal(10, admitted.Sum());
        Assert.Null(id);
        Assert.InRange(wait, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
        Assert.NotNull((await workers[0].TryAcquireRateAsync("another-key", 1_000, 10_000, 100, CancellationToken.None)).Id);
    }

    [Fact]
    public async Task RateLedger_Reconciled_BelowItsEstimate_FreesRoomForTheNextCall()
    {
        var store = Store();
        var ledger = store.CreateRateLedger("reconciled", 1_000, null);
        var first = await ledger.AcquireAsync(800, CancellationToken.None);
        Assert.Null((await store.TryAcquireRateAsync("reconciled", 800, 1_000, null, CancellationToken.None)).Id);

        first.Reconcile(100);
        await store.FlushAsync();

        Assert.NotNull((await store.TryAcquireRateAsync("reconciled", 800, 1_000, null, CancellationToken.None)).Id);
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.AcquireAsync(1_001, CancellationToken.None).AsTask().GetAwaiter().GetResult());
    }

    [Fact]
    public void Constructor_BadOptions_ThrowsNamingEachSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlCheckpointStore(_dataSource, new AgentBatchPostgreSqlOptions
        {
            Schema = "Drop Table",
            LeaseDuration = TimeSpan.Zero,
        }));

        Assert.Contains("options:Schema must be a plain lowercase identifier", error.Message, StringComparison.Ordinal);
        Assert.Contains("options:LeaseDuration must be between 00:00:01 and 01:00:00; it is 00:00:00.", error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<SetDocument> Documents(int count) =>
        Enumerable.Range(0, count).Select(i => new SetDocument($"doc-{i:D4}.txt", $"doc-{i:D4}.txt", $"text {i}", null));

    private static DocumentResult Result(DocumentLease lease, string output) => new()
    {
        Name = lease.Document.Name,
        Key = lease.Document.Key,
        Status = BatchItemStatus.Succeeded,
        Output = JsonSerializer.SerializeToElement(output),
        Attempts = 1,
    };

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private PostgreSqlCheckpointStore Store()
    {
        var store = new PostgreSqlCheckpointStore(_dataSource, new AgentBatchPostgreSqlOptions { Schema = _schema });
        _stores.Add(store);
        return store;
    }

    private async Task<(PostgreSqlCheckpointStore Store, DocumentSetCheckpoint Run)> OpenWithDocumentsAsync(int count)
    {
        var store = Store();
        var run = await store.OpenSetAsync("set", "identity");
        Assert.True(await store.AddDocumentsAsync(run, () => Documents(count)));
        return (store, run);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
