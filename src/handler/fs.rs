//! [`SessionFs`]: a session's filesystem, served to the CLI (`sessionFs.*`).

use crate::handler::{Answer, Request};
use crate::proto::server::{
    SessionFsAppendFile, SessionFsError, SessionFsExists, SessionFsExistsResult, SessionFsMkdir,
    SessionFsReadFile, SessionFsReadFileBytes, SessionFsReadFileBytesResult,
    SessionFsReadFileResult, SessionFsReaddir, SessionFsReaddirResult, SessionFsReaddirWithTypes,
    SessionFsReaddirWithTypesResult, SessionFsRename, SessionFsRm, SessionFsSqliteExists,
    SessionFsSqliteExistsResult, SessionFsSqliteQuery, SessionFsSqliteQueryResult,
    SessionFsSqliteTransaction, SessionFsSqliteTransactionResult, SessionFsStat,
    SessionFsStatResult, SessionFsWriteFile, SessionFsWriteFileBytes,
};

/// A filesystem for the CLI's session state, after `sessionFs.setProvider`
/// ([`Client::set_session_fs_provider`](crate::Client::set_session_fs_provider)): the CLI
/// reads and writes its session files through these calls instead of its own disk.
///
/// Every method has a default, [`Answer::Unhandled`] (the CLI gets an error, as from a
/// client with no provider): implement those your storage supports. A failure the CLI should
/// see as a filesystem error (not found, ...) goes in the answer's `error` member; a result
/// of `None` for the write-like operations means success.
///
/// Return it from [`SessionHandler::session_fs`](crate::handler::SessionHandler::session_fs).
/// Declare [`CallerAnswers::SESSION_FS`](crate::CallerAnswers::SESSION_FS) so that the
/// client passes these requests on.
pub trait SessionFs {
    /// `sessionFs.readFile`: a file's content, as text.
    fn read_file<'a>(
        &'a mut self,
        request: Request<'a, SessionFsReadFile<'a>>,
    ) -> Answer<'a, SessionFsReadFileResult<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.readFileBytes`: a file's content, base64.
    fn read_file_bytes<'a>(
        &'a mut self,
        request: Request<'a, SessionFsReadFileBytes<'a>>,
    ) -> Answer<'a, SessionFsReadFileBytesResult<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.writeFile`: writes a file, as text.
    fn write_file<'a>(
        &'a mut self,
        request: Request<'a, SessionFsWriteFile<'a>>,
    ) -> Answer<'a, Option<SessionFsError<'a>>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.writeFileBytes`: writes a file, from base64.
    fn write_file_bytes<'a>(
        &'a mut self,
        request: Request<'a, SessionFsWriteFileBytes<'a>>,
    ) -> Answer<'a, Option<SessionFsError<'a>>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.appendFile`: appends to a file, creating it and its parents as needed.
    fn append_file<'a>(
        &'a mut self,
        request: Request<'a, SessionFsAppendFile<'a>>,
    ) -> Answer<'a, Option<SessionFsError<'a>>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.exists`.
    fn exists<'a>(
        &'a mut self,
        request: Request<'a, SessionFsExists<'a>>,
    ) -> Answer<'a, SessionFsExistsResult> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.stat`.
    fn stat<'a>(
        &'a mut self,
        request: Request<'a, SessionFsStat<'a>>,
    ) -> Answer<'a, SessionFsStatResult<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.mkdir`.
    fn mkdir<'a>(
        &'a mut self,
        request: Request<'a, SessionFsMkdir<'a>>,
    ) -> Answer<'a, Option<SessionFsError<'a>>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.readdir`: the names in a directory.
    fn readdir<'a>(
        &'a mut self,
        request: Request<'a, SessionFsReaddir<'a>>,
    ) -> Answer<'a, SessionFsReaddirResult<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.readdirWithTypes`: the entries of a directory, with their kinds.
    fn readdir_with_types<'a>(
        &'a mut self,
        request: Request<'a, SessionFsReaddirWithTypes<'a>>,
    ) -> Answer<'a, SessionFsReaddirWithTypesResult<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.rm`.
    fn rm<'a>(
        &'a mut self,
        request: Request<'a, SessionFsRm<'a>>,
    ) -> Answer<'a, Option<SessionFsError<'a>>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.rename`.
    fn rename<'a>(
        &'a mut self,
        request: Request<'a, SessionFsRename<'a>>,
    ) -> Answer<'a, Option<SessionFsError<'a>>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.sqliteQuery` (providers that declared the sqlite capability).
    fn sqlite_query<'a>(
        &'a mut self,
        request: Request<'a, SessionFsSqliteQuery<'a>>,
    ) -> Answer<'a, SessionFsSqliteQueryResult<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.sqliteTransaction` (providers that declared the sqlite capability).
    fn sqlite_transaction<'a>(
        &'a mut self,
        request: Request<'a, SessionFsSqliteTransaction<'a>>,
    ) -> Answer<'a, SessionFsSqliteTransactionResult<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `sessionFs.sqliteExists` (providers that declared the sqlite capability).
    fn sqlite_exists<'a>(
        &'a mut self,
        request: Request<'a, SessionFsSqliteExists<'a>>,
    ) -> Answer<'a, SessionFsSqliteExistsResult> {
        let _ = request;
        Answer::Unhandled
    }
}
