-- netc support for Neovim 0.7 and later: `*.nn` files get the `netc`
-- filetype, `//` comments, and `netc lsp` (diagnostics as you type, hover,
-- inlay hints, go to definition, rename, completion, code actions,
-- formatting with `vim.lsp.buf.format()` / `formatting()` on 0.7).
--
-- Install: copy this file to ~/.config/nvim/plugin/netc.lua.
-- `netc` must be on PATH, or set vim.g.netc_path before this file runs.

vim.filetype.add({ extension = { nn = "netc" } })

local client_id = nil

vim.api.nvim_create_autocmd("FileType", {
  pattern = "netc",
  callback = function(args)
    vim.bo[args.buf].commentstring = "// %s"
    vim.bo[args.buf].shiftwidth = 4
    vim.bo[args.buf].expandtab = true
    if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
      client_id = vim.lsp.start_client({
        name = "netc",
        cmd = { vim.g.netc_path or "netc", "lsp" },
        root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h"),
      })
    end
    if client_id ~= nil then
      vim.lsp.buf_attach_client(args.buf, client_id)
    end
  end,
})
