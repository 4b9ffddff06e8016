"""The benchmark's items: each a function of the read-only `Context` that returns an
`Outcome` (rows, figures, bars, profiles), named by what it measures."""
