// A visit counter backed by PostgreSQL.
//
// Contract (the Python stand-in in ../standin honours the same one):
//   Pgsql        environment variable, an Npgsql connection string
//   GET /        records a visit; {"visits": <count>, "server_version": "<version>"}
//   GET /health  {"status":"ok"} when the database answers, 503 otherwise
//
// The port is the runtime image's default (ASPNETCORE_HTTP_PORTS=8080).

using System.Text.Json.Serialization;
using Npgsql;

var builder = WebApplication.CreateBuilder(args);

// Environment variables are part of configuration by default, so `Pgsql`
// can also come from appsettings or user secrets when run outside a container.
string connectionString =
    builder.Configuration["Pgsql"] is { } value && !string.IsNullOrWhiteSpace(value)
        ? value
        : throw new InvalidOperationException(
            "The Pgsql environment variable must hold the PostgreSQL connection string.");

// Created by the container so it is disposed (and its pool closed) on shutdown.
builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));

var app = builder.Build();

await EnsureSchemaAsync(
    app.Services.GetRequiredService<NpgsqlDataSource>(),
    app.Logger,
    app.Lifetime.ApplicationStopping);

app.MapGet("/", async (NpgsqlDataSource db, CancellationToken ct) =>
{
    await using var connection = await db.OpenConnectionAsync(ct);

    await using (var insert = new NpgsqlCommand(
        "INSERT INTO visits DEFAULT VALUES", connection))
    {
        await insert.ExecuteNonQueryAsync(ct);
    }

    await using var query = new NpgsqlCommand(
        "SELECT count(*), current_setting('server_version') FROM visits", connection);
    await using var reader = await query.ExecuteReaderAsync(ct);
    await reader.ReadAsync(ct);

    return Results.Ok(new VisitReport(reader.GetInt64(0), reader.GetString(1)));
});

app.MapGet("/health", async (NpgsqlDataSource db, ILogger<Program> logger,
    CancellationToken ct) =>
{
    try
    {
        await using var ping = db.CreateCommand("SELECT 1");
        await ping.ExecuteScalarAsync(ct);
        return Results.Ok(new HealthReport("ok"));
    }
    catch (NpgsqlException ex)
    {
        logger.LogWarning("Health check: the database did not answer: {Reason}", ex.Message);
        return Results.Json(new HealthReport("unavailable"),
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }
});

await app.RunAsync();

// The database may still be starting when the container starts (for example
// after a host reboot with `restart: unless-stopped`), so retry for a while
// before giving up and letting the restart policy try again.
static async Task EnsureSchemaAsync(
    NpgsqlDataSource db, ILogger logger, CancellationToken ct)
{
    const string ddl = """
        CREATE TABLE IF NOT EXISTS visits (
            id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            visited_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    for (var attempt = 1; ; attempt++)
    {
        try
        {
            await using var create = db.CreateCommand(ddl);
            await create.ExecuteNonQueryAsync(ct);
            logger.LogInformation("Table visits is ready");
            return;
        }
        catch (NpgsqlException ex) when (attempt < 30)
        {
            logger.LogWarning("Database not ready (attempt {Attempt}): {Reason}",
                attempt, ex.Message);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }
}

// The JSON keys are part of the contract, so they are named here explicitly
// rather than left to the serializer's naming policy.
internal sealed record VisitReport(
    [property: JsonPropertyName("visits")] long Visits,
    [property: JsonPropertyName("server_version")] string ServerVersion);

internal sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status);
