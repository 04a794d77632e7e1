# ruff: noqa: E501 - one message per line reads better than wrapped strings in a catalogue
"""The one message catalogue: every sentence a member, moderator or operator reads, by code and language.

Core answers with typed outcomes (a code and its values); each adapter — console, Discord, Telegram — renders them
here, in the member's language. English is the source language and every code has it; a language that lacks a code
falls back to English, and ``tests/unit/test_catalogue.py`` lists what is missing so nothing is silently half done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    # --- submitting -------------------------------------------------------------------------------------------------
    "accepted": {
        "en": "Job {job_id} accepted ({position_text}).",
        "zh": "任务 {job_id} 已受理（{position_text}）。",
    },
    "posted_here": {"en": "The pictures will be posted in this chat.", "zh": "图片会发送到这里。"},
    "banned": {
        "en": "You are banned from making pictures {until_text}{reason_text}.",
        "zh": "你被禁止生成图片{until_text}{reason_text}。",
    },
    "until_permanent": {"en": "permanently", "zh": "（永久）"},
    "until_time": {"en": "until {until} UTC", "zh": "，直到 {until} UTC"},
    "model_unknown": {
        "en": "There is no model {model!r}; models: {models}.",
        "zh": "没有名为 {model!r} 的模型；可用模型：{models}。",
    },
    "model_unserved": {
        "en": "No worker is serving the model {model} right now, so nothing was queued; try again later or choose "
              "another model.",
        "zh": "目前没有工作进程在运行模型 {model}，因此没有排队；请稍后再试或换一个模型。",
    },
    "licence": {
        "en": "Before your first picture, read the model licence with /license and accept it with /accept "
              "({licence}).",
        "zh": "生成第一张图片之前，请用 /license 阅读模型许可协议，并用 /accept 接受（{licence}）。",
    },
    "input": {"en": "{detail}", "zh": "{detail}"},
    "params": {"en": "{detail}", "zh": "{detail}"},
    "input_paths": {
        "en": "From a chat, a picture is either uploaded with the command or named by a job id (JOB or JOB:N).",
        "zh": "在聊天中，图片要么随命令上传，要么用任务编号指定（JOB 或 JOB:N）。",
    },
    "input_job_gone": {"en": "Job {job_id} no longer exists.", "zh": "任务 {job_id} 已经不存在了。"},
    "input_job_not_yours": {
        "en": "Job {job_id} is not one you can use here: use your own jobs or pictures posted in this chat.",
        "zh": "这里不能使用任务 {job_id}：请使用你自己的任务，或本聊天中发布的图片。",
    },
    "input_no_picture": {
        "en": "Job {job_id} has no picture {number} that can be used.",
        "zh": "任务 {job_id} 没有可用的第 {number} 张图片。",
    },
    "input_unsupported": {"en": "Input pictures are not supported here.", "zh": "这里不支持输入图片。"},
    "upload_too_large": {"en": "The picture is larger than {mb} MB.", "zh": "图片超过了 {mb} MB。"},
    "upload_failed": {"en": "The picture could not be downloaded.", "zh": "图片无法下载。"},
    "prompt": {
        "en": "This prompt was blocked by the content rules ({categories}); nothing was generated and no quota was "
              "used.{suspended_text}",
        "zh": "这个提示词被内容规则拦截（{categories}），没有生成任何图片，也没有消耗配额。{suspended_text}",
    },
    "suspended": {
        "en": " Your account is suspended until {until} UTC ({reason}).",
        "zh": "你的账号被暂停使用，直到 {until} UTC（{reason}）。",
    },
    "busy": {
        "en": "The service is busy right now; nothing was charged. Please try again in a minute.",
        "zh": "服务暂时繁忙，没有扣除配额。请一分钟后再试。",
    },
    "unavailable": {
        "en": "The picture queue is unreachable right now; nothing was charged. Please try again in a minute.",
        "zh": "图片队列暂时无法连接，没有扣除配额。请一分钟后再试。",
    },
    "queue_cap": {
        "en": "You already have {queued} jobs waiting; the limit is {limit}. Try again when one finishes.",
        "zh": "你已有 {queued} 个任务在等待，上限是 {limit}。请等一个完成后再试。",
    },
    "rate": {
        "en": "Slow down: at most {jobs} requests per {seconds} seconds. Try again in {wait} seconds.",
        "zh": "请慢一点：每 {seconds} 秒最多 {jobs} 个请求。请 {wait} 秒后再试。",
    },
    "quota": {
        "en": "Your daily quota does not cover {asked_text}: {left} of {total} left; {resets_text}.",
        "zh": "你的每日配额不足以生成 {asked_text}：剩余 {left}/{total}；{resets_text}。",
    },
    "asked_one": {"en": "a picture", "zh": "一张图片"},
    "asked_many": {"en": "{count} pictures", "zh": "{count} 张图片"},
    "resets_day": {"en": "it resets at 00:00 UTC (in {wait})", "zh": "将于 00:00 UTC 重置（还有 {wait}）"},
    "resets_rolling": {
        "en": "the next picture frees up at {at} UTC (in {wait})",
        "zh": "下一张额度将在 {at} UTC 恢复（还有 {wait}）",
    },
    "gone": {"en": "That job no longer exists.", "zh": "这个任务已经不存在了。"},
    "purged": {
        "en": "That job's prompt was removed after the retention period; it cannot be rerolled.",
        "zh": "这个任务的提示词已在保留期后删除，无法重新生成。",
    },
    "cost_note": {
        "en": "Charged to you, {name}: this was someone else's picture.",
        "zh": "{name}，这次由你支付配额：这是别人的图片。",
    },
    # --- licence, quota, jobs -----------------------------------------------------------------------------------------
    "licence_accepted": {
        "en": "Thank you: you accepted {licence} ({version}). You can now use /imagine.",
        "zh": "谢谢：你已接受 {licence}（{version}）。现在可以使用 /imagine 了。",
    },
    "licence_already": {
        "en": "You have already accepted {licence}; /imagine is ready.",
        "zh": "你已经接受过 {licence}；可以直接使用 /imagine。",
    },
    "quota_status": {
        "en": "Used {used} of {limit}{granted_text} pictures {period_text}; {left} left; {resets_text}. Jobs waiting or "
              "running: {queued}.{tier_text}",
        "zh": "{period_text}已用 {used}/{limit}{granted_text} 张图片；剩余 {left}；{resets_text}。等待或运行中的任务："
              "{queued}。{tier_text}",
    },
    "period_day": {"en": "today", "zh": "今天"},
    "period_rolling": {"en": "in the last 24 hours", "zh": "过去 24 小时内"},
    "granted_text": {"en": " (+{granted} granted)", "zh": "（+{granted} 赠送）"},
    "tier_text": {"en": " Tier: {tier}.", "zh": "等级：{tier}。"},
    "cancel_which": {"en": "Say which job: /cancel JOB.", "zh": "请说明是哪个任务：/cancel 任务编号。"},
    "cancel_none": {"en": "You have no job {job_id} to cancel.", "zh": "你没有可取消的任务 {job_id}。"},
    "cancel_finished": {
        "en": "Job {job_id} has already finished ({status}).",
        "zh": "任务 {job_id} 已经结束（{status}）。",
    },
    "cancelled": {
        "en": "Job {job_id} cancelled; its pictures were refunded.",
        "zh": "任务 {job_id} 已取消，配额已退还。",
    },
    "history_empty": {"en": "No jobs yet: try /imagine a lighthouse at dusk.", "zh": "还没有任务：试试 /imagine 黄昏的灯塔。"},
    "history_line": {"en": "{job_id}  {created}  {status}  {prompt}", "zh": "{job_id}  {created}  {status}  {prompt}"},
    "which_job": {"en": "Say which job: /{command} JOB.", "zh": "请说明是哪个任务：/{command} 任务编号。"},
    # --- results ---------------------------------------------------------------------------------------------------
    "result": {
        "en": "{mention}{prompt} — seed {seed}, job {job_id}",
        "zh": "{mention}{prompt} — 种子 {seed}，任务 {job_id}",
    },
    "result_failed": {
        "en": "{mention}job {job_id} failed on the worker; your quota for it was refunded.",
        "zh": "{mention}任务 {job_id} 在生成时失败，配额已退还。",
    },
    "result_refused": {
        "en": "{mention}job {job_id}: {reason}; your quota for it was refunded.",
        "zh": "{mention}任务 {job_id}：{reason}；配额已退还。",
    },
    "result_cancelled": {
        "en": "Job {job_id} was cancelled; its pictures were refunded.",
        "zh": "任务 {job_id} 已取消，配额已退还。",
    },
    "result_review": {
        "en": "Picture(s) {numbers} may be sensitive: hidden behind a spoiler and sent to the moderators.",
        "zh": "第 {numbers} 张图片可能敏感：已加上遮挡并交给管理员审核。",
    },
    "result_blocked": {
        "en": "Picture(s) {numbers} were blocked by the image check and not posted.",
        "zh": "第 {numbers} 张图片被图像检查拦截，没有发布。",
    },
    "result_unchecked": {
        "en": "Picture(s) {numbers} were NOT safety-checked (development setting).",
        "zh": "第 {numbers} 张图片没有经过安全检查（开发设置）。",
    },
    "result_method": {"en": "Made with {method}.", "zh": "使用 {method} 生成。"},
    "still_running": {
        "en": "Job {job_id} is still running; its pictures will show in /history.",
        "zh": "任务 {job_id} 仍在运行；完成后可在 /history 中查看。",
    },
    "button_reroll": {"en": "Reroll", "zh": "重新生成"},
    "button_upscale": {"en": "Upscale", "zh": "放大"},
    "button_variations": {"en": "Variations", "zh": "变体"},
    "button_report": {"en": "Report", "zh": "举报"},
    "button_accept": {"en": "Accept", "zh": "接受"},
    "button_approve": {"en": "Approve", "zh": "通过"},
    "button_remove": {"en": "Remove", "zh": "删除"},
    "button_ban": {"en": "Ban…", "zh": "封禁…"},
    "button_ban_7d": {"en": "Ban 7 days", "zh": "封禁 7 天"},
    # Telegram: with several pictures, a row of full labels would be cut off on a phone.
    "button_upscale_short": {"en": "U{number}", "zh": "放大{number}"},
    "button_variations_short": {"en": "V{number}", "zh": "变体{number}"},
    "button_report_short": {"en": "Report {number}", "zh": "举报{number}"},
    "result_actions": {"en": "Job {job_id}", "zh": "任务 {job_id}"},
    # --- moderation ------------------------------------------------------------------------------------------------
    "moderation": {"en": "{detail}", "zh": "{detail}"},
    "moderators_only": {"en": "Only moderators can do that.", "zh": "只有管理员可以这样做。"},
    "group_admins_only": {
        "en": "Only this group's admins (or the bot's admins) can change that.",
        "zh": "只有本群管理员（或机器人管理员）可以修改这个设置。",
    },
    "mod_post": {
        "en": "{why_text}: job {job_id} picture {number} by {member}\nprompt: {prompt}\nnsfw score: {score} "
              "({decision})",
        "zh": "{why_text}：任务 {job_id} 第 {number} 张图片，作者 {member}\n提示词：{prompt}\nNSFW 分数：{score}（{decision}）",
    },
    "why_review": {"en": "review band", "zh": "待审核"},
    "why_report": {"en": "report", "zh": "举报"},
    "mod_channel_set": {
        "en": "Pictures for review and reports will be posted in {where}.",
        "zh": "待审核的图片和举报会发送到 {where}。",
    },
    "this_chat": {"en": "this chat", "zh": "这个聊天"},
    "nsfw_set": {
        "en": "Adult content (never involving minors or real people) is now {value} in this chat.",
        "zh": "本聊天的成人内容（绝不涉及未成年人或真实人物）现在为：{value}。",
    },
    "nsfw_usage": {"en": "Use /nsfw on or /nsfw off.", "zh": "用法：/nsfw on 或 /nsfw off。"},
    "ban_how_long": {"en": "Ban the requester for how long?", "zh": "封禁这位用户多久？"},
    "ban_usage": {
        "en": "Use /ban USER DURATION REASON (USER: @username or telegram:123), e.g. /ban @ada 7d spam — or reply to "
              "one of their messages with /ban 7d spam.",
        "zh": "用法：/ban 用户 时长 原因（用户：@用户名 或 telegram:123），例如 /ban @ada 7d spam；也可以回复对方的消息发送 /ban 7d spam。",
    },
    "unban_usage": {
        "en": "Use /unban USER (@username or telegram:123), or reply to one of their messages with /unban.",
        "zh": "用法：/unban 用户（@用户名 或 telegram:123），或回复对方的消息发送 /unban。",
    },
    "mod_history_empty": {"en": "No moderation history.", "zh": "没有审核记录。"},
    "not_for_you": {
        "en": "This button is for someone else: use /license to accept for yourself.",
        "zh": "这个按钮是给别人的：请用 /license 自己接受。",
    },
    # --- chat front doors ------------------------------------------------------------------------------------------
    "welcome": {
        "en": "Welcome to muralist! I turn descriptions into pictures. First read the licence below and press Accept "
              "(or send /accept).",
        "zh": "欢迎使用 muralist！我可以把文字描述变成图片。请先阅读下面的许可协议并点击“接受”（或发送 /accept）。",
    },
    "help": {
        "en": "/imagine <description> [--negative TEXT] [--seed N] [--steps N] [--size WxH] [--cfg X] [--count N]\n"
              "/quota — pictures left today\n/history — your last jobs\n/cancel JOB — stop a job of yours\n"
              "/license, /accept — the model licence\n/link [CODE] — share one quota with your other accounts",
        "zh": "/imagine <描述> [--negative 文本] [--seed 数字] [--steps 数字] [--size 宽x高] [--cfg 数字] [--count 数字]\n"
              "/quota — 今天剩余的图片数\n/history — 最近的任务\n/cancel 任务 — 取消你的任务\n"
              "/license、/accept — 模型许可协议\n/link [代码] — 与其他平台账号共享配额",
    },
    "not_text": {
        "en": "I can only read text here: send /imagine followed by a description of the picture.",
        "zh": "这里只能读文字：请发送 /imagine 加上图片的描述。",
    },
    "img2img": {
        "en": "To start from this picture, send it again with a caption describing what to make of it.",
        "zh": "要以这张图片为基础生成，请重新发送图片并附上文字说明。",
    },
    "unknown": {"en": "I do not know that command; send /help for the list.", "zh": "我不认识这个命令；发送 /help 查看命令列表。"},
    "internal_error": {
        "en": "Something went wrong on our side and was logged; please try again.",
        "zh": "我们这边出了问题，已记录；请再试一次。",
    },
    # --- provenance: /verify ---
    "verify_found": {
        "en": "Made here: job {job_id}, picture {number}, {date}, by {member}.",
        "zh": "本服务生成：任务 {job_id}，第 {number} 张，{date}，作者 {member}。",
    },
    "verify_found_hidden": {
        "en": "Made here: job {job_id}, picture {number}, {date}, by a member (hidden).",
        "zh": "本服务生成：任务 {job_id}，第 {number} 张，{date}，作者（不公开）。",
    },
    "verify_none": {
        "en": "No mark from this service found in this picture.",
        "zh": "这张图片中没有找到本服务的标记。",
    },
    # Said after the mark's sentence when the picture carries C2PA content credentials (core/content_credentials.py).
    "verify_credentials": {
        "en": " Content credentials: signed by {signer}, made by {generator}, job {job_id}.",
        "zh": "内容凭证：由 {signer} 签名，由 {generator} 生成，任务 {job_id}。",
    },
    "verify_credentials_other": {
        "en": " Content credentials: signed by {signer}, made by {generator}.",
        "zh": "内容凭证：由 {signer} 签名，由 {generator} 生成。",
    },
    "verify_credentials_tampered": {
        "en": " Its content credentials (signed by {signer}) no longer match it: the picture was changed after signing.",
        "zh": "它的内容凭证（由 {signer} 签名）与图片不再相符：图片在签名之后被改动过。",
    },
    "verify_credentials_invalid": {
        "en": " It carries content credentials that are not valid ({problems}).",
        "zh": "它带有无效的内容凭证（{problems}）。",
    },
    "verify_which": {
        "en": "Send /verify with a picture attached, or reply /verify to a picture.",
        "zh": "请发送 /verify 并附上一张图片，或用 /verify 回复一张图片。",
    },
    # --- voice to picture ---
    "voice_heard": {"en": "I heard: {text}", "zh": "我听到的是：{text}"},
    "voice_too_long": {
        "en": "Voice messages up to {seconds} seconds, please.",
        "zh": "语音消息请不要超过 {seconds} 秒。",
    },
    "voice_too_large": {
        "en": "That recording is too large (the limit is {mb} MB).",
        "zh": "这段录音太大了（上限为 {mb} MB）。",
    },
    "voice_unreadable": {
        "en": "I could not read that recording; send a voice message or an OGG, WAV, MP3, FLAC or M4A file.",
        "zh": "无法读取这段录音；请发送语音消息或 OGG、WAV、MP3、FLAC、M4A 文件。",
    },
    "voice_empty": {
        "en": "I heard no words in that recording.",
        "zh": "这段录音里没有听到任何文字。",
    },
    "voice_english_only": {
        "en": " (The speech model here understands English only, so I listened for English.)",
        "zh": "（这里的语音模型只能识别英语，所以我是按英语来听的。）",
    },
    "voice_unavailable": {
        "en": "Voice prompts are not available here right now; the operator has been told. Type /imagine instead.",
        "zh": "这里暂时不能使用语音提示；已通知运营者。请改用文字输入 /imagine。",
    },
    # --- moderation web console ---------------------------------------------------------------------------------
    "web_link": {
        "en": "Sign in to the moderation console within {minutes} minutes, once: {url}",
        "zh": "请在 {minutes} 分钟内打开此链接登录审核控制台（仅可使用一次）：{url}",
    },
    "web_link_invalid": {
        "en": "This sign-in link is unknown, already used or expired; ask an operator for a new one.",
        "zh": "此登录链接无效、已被使用或已过期；请向运营者索取新的链接。",
    },
    "web_sign_in_needed": {
        "en": "Sign in with a link from `muralist admin web-login` to see this page.",
        "zh": "请使用 `muralist admin web-login` 生成的链接登录后再查看此页面。",
    },
    "web_csrf": {
        "en": "This form is stale or did not come from the console; nothing was changed. Reload the page and try again.",
        "zh": "此表单已过期或并非来自控制台；未做任何更改。请刷新页面后重试。",
    },
    "web_not_your_chat": {
        "en": "You do not moderate the chat this case belongs to; nothing was changed.",
        "zh": "你不是此案件所属聊天的管理员；未做任何更改。",
    },
    "web_gone": {"en": "There is no such case or member.", "zh": "没有这个案件或成员。"},
    "web_signed_out": {"en": "You are signed out.", "zh": "你已退出登录。"},
    "mod_web_usage": {
        "en": "Send /mod web in the group you moderate; the link comes in a private message.",
        "zh": "请在你管理的群组中发送 /mod web；链接会通过私信发送给你。",
    },
    "mod_web_sent": {
        "en": "I sent you a sign-in link for this group's cases in a private message.",
        "zh": "我已通过私信把本群案件的登录链接发给你。",
    },
    "mod_web_start_private": {
        "en": "Open a private chat with me and press Start, then send /mod web here again.",
        "zh": "请先打开与我的私聊并点击“开始”，然后在这里再次发送 /mod web。",
    },
    "web_unavailable": {
        "en": "The moderation web console is not set up here; ask an operator.",
        "zh": "这里没有设置审核网页控制台；请联系运营者。",
    },

    # --- chat command parity, chat settings, others' buttons -----------------------------------------------------
    "help_more": {
        "en": "/styles, /models — the styles and models for --style and --model\n"
              "/reroll JOB — the same prompt with a new seed\n"
              "/variations JOB[:N] [--strength 0.6] [--count 2] — pictures close to one picture\n"
              "/upscale JOB[:N] [--factor 2|4] — enlarge a picture\n"
              "/report JOB [N] [why] — report a picture to the moderators\n"
              "/appeal JOB [N] | /appeal strike ID — ask for a second look (once)\n"
              "/unlink — give this account its own quota again\n"
              "/prefs [NAME VALUE] — your own defaults for /imagine (style, sampler, size, steps, negative)\n"
              "/settings [NAME VALUE] — this chat's limits and defaults (admins)",
        "zh": "/styles、/models — --style 和 --model 可用的风格与模型\n"
              "/reroll 任务 — 用新的种子重新生成同一提示词\n"
              "/variations 任务[:N] [--strength 0.6] [--count 2] — 生成与某张图片相近的图片\n"
              "/upscale 任务[:N] [--factor 2|4] — 放大图片\n"
              "/report 任务 [N] [原因] — 向管理员举报图片\n"
              "/appeal 任务 [N] | /appeal strike 编号 — 申请复审（一次）\n"
              "/unlink — 让这个账号重新使用自己的配额\n"
              "/prefs [名称 值] — 你自己在 /imagine 中的默认值（style、sampler、size、steps、negative）\n"
              "/settings [名称 值] — 本聊天的上限和默认值（管理员）",
    },
    "styles_header": {"en": "Styles (use --style NAME):", "zh": "风格（用 --style 名称）："},
    "style_line": {"en": "{name} — {description}", "zh": "{name} — {description}"},
    "models_header": {"en": "Models (use --model NAME):", "zh": "模型（用 --model 名称）："},
    "model_line": {
        "en": "{name} — {size}px, {steps} steps, licence {licence}",
        "zh": "{name} — {size}px，{steps} 步，许可协议 {licence}",
    },
    "model_line_unserved": {
        "en": "{name} — {size}px, {steps} steps, licence {licence} (no worker serving it now)",
        "zh": "{name} — {size}px，{steps} 步，许可协议 {licence}（目前没有工作进程在运行）",
    },
    "report_usage": {"en": "Say which picture: /report JOB [N] [reason].", "zh": "请说明是哪张图片：/report 任务 [N] [原因]。"},
    "appeal_usage": {
        "en": "Appeal a blocked picture with /appeal JOB [N], or a strike with /appeal strike ID.",
        "zh": "申诉被拦截的图片用 /appeal 任务 [N]，申诉警告用 /appeal strike 编号。",
    },
    "variations_usage": {
        "en": "Use /variations JOB[:N] [--strength 0.6] [--count 2].",
        "zh": "用法：/variations 任务[:N] [--strength 0.6] [--count 2]。",
    },
    "upscale_usage": {"en": "Use /upscale JOB[:N] [--factor 2|4].", "zh": "用法：/upscale 任务[:N] [--factor 2|4]。"},
    "others_charged": {
        "en": " This was {owner}'s picture; the new job is charged to you.",
        "zh": "这是 {owner} 的图片；新任务由你支付配额。",
    },
    "others_charged_unnamed": {
        "en": " This was someone else's picture; the new job is charged to you.",
        "zh": "这是别人的图片；新任务由你支付配额。",
    },
    "others_owner_only": {
        "en": "In this chat only {owner} may reroll, upscale or vary this picture; nothing was charged.",
        "zh": "在本聊天中，只有 {owner} 可以重新生成、放大或变化这张图片；没有扣除配额。",
    },
    "others_owner_only_unnamed": {
        "en": "In this chat only the member who made this picture may reroll, upscale or vary it; nothing was charged.",
        "zh": "在本聊天中，只有生成这张图片的成员可以重新生成、放大或变化它；没有扣除配额。",
    },
    "chat_settings": {
        "en": "This chat's settings:\nnsfw: {nsfw} — adult content (never minors or real people)\n"
              "others_buttons: {others_buttons} — anyone: members may use the buttons under someone else's picture, "
              "charged to them; owner: only the member who made it\n"
              "max_steps: {max_steps} (most steps a job may ask for; the service allows {top_steps})\n"
              "max_count: {max_count} (most pictures a job may ask for; the service allows {top_count})\n"
              "max_size: {max_size} (longest side in pixels; the service allows {top_size})\n"
              "style: {style}, steps: {steps}, size: {size} (defaults for /imagine when a member gives none)\n"
              "Change one with /settings NAME VALUE; off unsets a limit or default (— is unset).",
        "zh": "本聊天的设置：\nnsfw：{nsfw} — 成人内容（绝不涉及未成年人或真实人物）\n"
              "others_buttons：{others_buttons} — anyone：成员可以使用别人图片下的按钮，配额由使用者支付；"
              "owner：只有生成者本人可以\n"
              "max_steps：{max_steps}（每个任务最多的步数；服务上限 {top_steps}）\n"
              "max_count：{max_count}（每个任务最多的图片数；服务上限 {top_count}）\n"
              "max_size：{max_size}（最长边的像素数；服务上限 {top_size}）\n"
              "style：{style}，steps：{steps}，size：{size}（成员未指定时 /imagine 使用的默认值）\n"
              "修改设置：/settings 名称 值；用 off 取消某个上限或默认值（— 表示未设置）。",
    },
    "chat_setting_set": {"en": "This chat's {name} is now {value}.", "zh": "本聊天的 {name} 现在为 {value}。"},
    "chat_setting_unset": {"en": "This chat's {name} is no longer set.", "zh": "本聊天的 {name} 已取消设置。"},
    "settings_usage": {
        "en": "Use /settings to see this chat's settings, or /settings NAME VALUE to change one: nsfw on|off, "
              "others_buttons anyone|owner, max_steps N, max_count N, max_size N, style NAME, steps N, size WxH "
              "(off unsets a limit or default).",
        "zh": "用 /settings 查看本聊天的设置，或用 /settings 名称 值 修改：nsfw on|off、"
              "others_buttons anyone|owner、max_steps N、max_count N、max_size N、style 名称、steps N、size 宽x高"
              "（用 off 取消上限或默认值）。",
    },
    "setting_number": {
        "en": "{name} takes a whole number from {low} to {high}, or off; nothing was changed.",
        "zh": "{name} 需要 {low} 到 {high} 之间的整数，或 off；没有做任何更改。",
    },
    "setting_side": {
        "en": "{name} takes a number of pixels, a multiple of 8 from {low} to {high}, or off; nothing was changed.",
        "zh": "{name} 需要一个像素数（8 的倍数，{low} 到 {high}），或 off；没有做任何更改。",
    },
    "setting_size": {
        "en": "size takes WIDTHxHEIGHT (or one number for a square), each a multiple of 8 from {low} to {high}, or "
              "off; nothing was changed.",
        "zh": "size 需要 宽x高（或一个数字表示正方形），每边为 8 的倍数，{low} 到 {high}，或 off；没有做任何更改。",
    },
    "setting_choice": {
        "en": "{name} takes one of: {choices}; nothing was changed.",
        "zh": "{name} 只能是以下之一：{choices}；没有做任何更改。",
    },
    "setting_text": {
        "en": "{name} takes up to {high} characters of text on one line, or off; nothing was changed.",
        "zh": "{name} 需要不超过 {high} 个字符的单行文字，或 off；没有做任何更改。",
    },
    # A chat's limits, said when a job asks for more (nothing is queued or charged).
    "limit_steps": {
        "en": "This chat allows at most {limit} steps, and you asked for {asked}; nothing was queued.",
        "zh": "本聊天最多允许 {limit} 步，而你要求了 {asked} 步；没有排队。",
    },
    "limit_count": {
        "en": "This chat allows jobs of at most {limit} picture(s), and you asked for {asked}; nothing was queued.",
        "zh": "本聊天每个任务最多允许 {limit} 张图片，而你要求了 {asked} 张；没有排队。",
    },
    "limit_size": {
        "en": "This chat allows pictures up to {limit} pixels on the longest side, and you asked for {asked}; nothing "
              "was queued.",
        "zh": "本聊天允许的图片最长边为 {limit} 像素，而你要求了 {asked}；没有排队。",
    },
    "limit_default": {
        "en": "Your default {name} ({asked}) is over this chat's limit of {limit}: give --{name} yourself or change "
              "it with /prefs {name} VALUE; nothing was queued.",
        "zh": "你的默认 {name}（{asked}）超过了本聊天的上限 {limit}：请自己指定 --{name}，或用 /prefs {name} 值 "
              "修改；没有排队。",
    },
    # A member's own defaults: /prefs.
    "prefs_show": {
        "en": "Your defaults for /imagine:\nstyle: {style}\nsampler: {sampler}\nsize: {size}\nsteps: {steps}\n"
              "negative: {negative}\nChange one with /prefs NAME VALUE (off unsets it; — is unset). A flag you give "
              "wins, and a chat's limits still apply.",
        "zh": "你在 /imagine 中的默认值：\nstyle：{style}\nsampler：{sampler}\nsize：{size}\nsteps：{steps}\n"
              "negative：{negative}\n用 /prefs 名称 值 修改（off 取消；— 表示未设置）。你给出的参数优先，"
              "聊天的上限仍然有效。",
    },
    "pref_set": {
        "en": "Your default {name} is now {value}; /imagine uses it when you do not give one.",
        "zh": "你的默认 {name} 现在为 {value}；你未指定时 /imagine 会使用它。",
    },
    "pref_unset": {"en": "Your default {name} is no longer set.", "zh": "你的默认 {name} 已取消设置。"},
    "prefs_usage": {
        "en": "Use /prefs to see your defaults, or /prefs NAME VALUE to set one: style NAME, sampler NAME, size WxH, "
              "steps N, negative TEXT (off unsets one).",
        "zh": "用 /prefs 查看你的默认值，或用 /prefs 名称 值 设置：style 名称、sampler 名称、size 宽x高、"
              "steps N、negative 文字（用 off 取消）。",
    },
    "chat_admins_only": {
        "en": "Only this chat's admins (or the bot's moderators) can see or change its settings.",
        "zh": "只有本聊天的管理员（或机器人的管理员）可以查看或修改设置。",
    },
    # --- moderators: who is who, and posts that say what was done ---------------------------------------------------
    "mod_no_member": {
        "en": "No user {who} is known to the bot: name them by @username, a mention, platform:id (e.g. telegram:123) or "
              "#ID, or reply to one of their messages.",
        "zh": "机器人不认识用户 {who}：请用 @用户名、提及、平台:编号（例如 telegram:123）或 #编号 指定，或者回复对方的一条消息。",
    },
    "mod_member_ambiguous": {
        "en": "Several members are called {who}; name them by platform:id or a mention instead.",
        "zh": "有多位成员叫 {who}；请改用 平台:编号 或提及来指定。",
    },
    "report_duplicate": {"en": "You already reported this picture.", "zh": "你已经举报过这张图片了。"},
    "mod_approved": {"en": "Picture {number} of job {job_id} approved.", "zh": "任务 {job_id} 的第 {number} 张图片已通过。"},
    "mod_removed": {"en": "Picture {number} of job {job_id} removed.", "zh": "任务 {job_id} 的第 {number} 张图片已删除。"},
    "mod_already_approved": {"en": "Already approved by {by}.", "zh": "已由 {by} 通过。"},
    "mod_already_removed": {"en": "Already removed by {by}.", "zh": "已由 {by} 删除。"},
    "mod_already_banned": {"en": "Already banned by {by}.", "zh": "已由 {by} 封禁。"},
    "mod_status_approved": {"en": "✅ Approved by {by} at {at} UTC", "zh": "✅ 已由 {by} 于 {at} UTC 通过"},
    "mod_status_removed": {"en": "🗑 Removed by {by} at {at} UTC", "zh": "🗑 已由 {by} 于 {at} UTC 删除"},
    "mod_status_banned": {
        "en": "⛔ Author banned {until_text} by {by} at {at} UTC",
        "zh": "⛔ 作者已被 {by} 于 {at} UTC 封禁{until_text}",
    },
    "mod_history_of": {"en": "Moderation history of {member}:", "zh": "{member} 的审核记录："},
    "mod_history_line": {
        "en": "{when} {action} by {by}{reason_text}{until_text}",
        "zh": "{when} {action}，操作者 {by}{reason_text}{until_text}",
    },
    "modhistory_usage": {
        "en": "Use /modhistory USER (@username or telegram:123), or reply to one of their messages with /modhistory.",
        "zh": "用法：/modhistory 用户（@用户名 或 telegram:123），或回复对方的消息发送 /modhistory。",
    },
    # --- progress previews and queue position ---------------------------------------------------------------------
    "queue_running": {"en": "generating now", "zh": "正在生成"},
    "queue_next": {"en": "next in line", "zh": "下一个就轮到你"},
    "queue_ahead": {"en": "{ahead} ahead of you", "zh": "前面还有 {ahead} 个任务"},
    "progress_waiting": {"en": "Job {job_id} is waiting: {place_text}.", "zh": "任务 {job_id} 正在排队：{place_text}。"},
    "progress_generating": {"en": "Job {job_id}: generating now {bar}", "zh": "任务 {job_id}：正在生成 {bar}"},

    # --- faces: the "photo to cartoon" preset and face restoration ------------------------------------------------
    "cartoon_usage": {
        "en": "Use /cartoon JOB[:N] [what it shows], or send a picture with the caption /cartoon.",
        "zh": "用法：/cartoon 任务[:N] [画面内容]，或发送一张图片并附上说明 /cartoon。",
    },
    "restore_unconfigured": {
        "en": "Face restoration is not available here: the operator has not configured a face model.",
        "zh": "这里不能修复人脸：运营者没有配置人脸修复模型。",
    },
    "restore_usage": {
        "en": "Use /restore JOB[:N], or send a picture with the caption /restore.",
        "zh": "用法：/restore 任务[:N]，或发送一张图片并附上说明 /restore。",
    },
    "help_cartoon": {
        "en": "/cartoon JOB[:N] (or a picture captioned /cartoon) — the picture as a cartoon\n"
              "/restore JOB[:N] (or a picture captioned /restore, or 🙂 Fix faces under a result) — restore the "
              "faces in a picture, where the operator set up a face model",
        "zh": "/cartoon 任务[:N]（或附上说明 /cartoon 的图片）— 把图片变成卡通图像\n"
              "/restore 任务[:N]（或附上说明 /restore 的图片，或结果下方的 🙂 修复人脸）— 修复图片中的人脸"
              "（需运营者配置人脸模型）",
    },
    # How each chat takes a spoken prompt (/help); the console's own help says --voice PATH.
    "help_voice_telegram": {
        "en": "A voice message (up to 60 s) — a spoken /imagine: I reply with what I heard, then make it",
        "zh": "语音消息（不超过 60 秒）— 用说的 /imagine：我先回复听到的内容，再生成图片",
    },
    "help_voice_discord": {
        "en": "/imagine voice:RECORDING, or a voice message sent to me directly (up to 60 s) — a spoken prompt: "
              "I reply with what I heard, then make it",
        "zh": "/imagine voice:录音，或直接私信给我的语音消息（不超过 60 秒）— 用说的提示词：我先回复听到的内容，再生成图片",
    },
    # --- style from a reference picture (IP-Adapter) ---------------------------------------------------------------
    "style_unconfigured": {
        "en": "Style reference pictures are not set up here (the operator has not configured IP-Adapter weights); "
              "nothing was queued or charged.",
        "zh": "这里没有设置风格参考图片功能（运营者没有配置 IP-Adapter 权重）；没有排队，也没有扣除配额。",
    },
    "style_image_which": {
        "en": "Say which picture gives the style: --style-image JOB[:N], or send the picture with the caption "
              "/imagine … --style-image, or reply to a picture with it.",
        "zh": "请说明哪张图片提供风格：--style-image 任务[:N]，或发送图片并附上说明 /imagine … --style-image，"
              "或用它回复一张图片。",
    },
    "info_style_image": {
        "en": ", style from a reference picture (strength {strength})",
        "zh": "，风格取自参考图片（强度 {strength}）",
    },
    "help_style": {
        "en": "/imagine <description> --style-image JOB[:N] [--style-strength 0.6] — the style of a reference picture "
              "(or attach the picture, or reply to one, with a bare --style-image)",
        "zh": "/imagine <描述> --style-image 任务[:N] [--style-strength 0.6] — 采用参考图片的风格"
              "（或附上图片、或回复一张图片，只写 --style-image）",
    },
    # --- result buttons: 📋 info, 🖋 edit and run again, ❌ delete my picture ----------------------------------------
    "button_info": {"en": "📋 Info", "zh": "📋 参数"},
    "button_edit": {"en": "🖋 Edit", "zh": "🖋 改写"},
    "button_delete": {"en": "❌ Delete", "zh": "❌ 删除"},
    "button_delete_short": {"en": "❌{number}", "zh": "❌{number}"},
    # Fix faces: /restore of one picture, offered only where the operator configured a face model
    "button_restore": {"en": "🙂 Fix faces", "zh": "🙂 修复人脸"},
    "button_restore_short": {"en": "Faces {number}", "zh": "修脸{number}"},
    "picture_info": {
        "en": "Job {job_id} ({kind}, model {model})\nPrompt: {prompt}\nNegative: {negative}\nSeed: {seeds}\n"
              "Steps {steps}, CFG {cfg}, size {width}x{height}, sampler {sampler}, style {style}{strength_text}"
              "{style_image_text}\nTo make it again: {command}{input_text}",
        "zh": "任务 {job_id}（{kind}，模型 {model}）\n提示词：{prompt}\n反向提示词：{negative}\n种子：{seeds}\n"
              "步数 {steps}，CFG {cfg}，尺寸 {width}x{height}，采样器 {sampler}，风格 {style}{strength_text}"
              "{style_image_text}\n再次生成：{command}{input_text}",
    },
    "info_strength": {"en": ", strength {strength}", "zh": "，强度 {strength}"},
    "info_input": {
        "en": " (send it with the same input picture: a picture is never named by its place on the server)",
        "zh": "（请附上同一张输入图片：服务器上的图片位置不会公开）",
    },
    "edit_prompt_ask": {
        "en": "Send the new prompt for job {job_id} as a reply to this message; everything else stays the same.",
        "zh": "请回复这条消息，发送任务 {job_id} 的新提示词；其他参数保持不变。",
    },
    "edit_modal_title": {"en": "Edit the prompt and run again", "zh": "修改提示词并重新生成"},
    "edit_modal_label": {"en": "Prompt", "zh": "提示词"},
    "edit_empty": {"en": "The new prompt is empty: nothing was made.", "zh": "新的提示词是空的，没有生成任何图片。"},
    "edit_txt2img_only": {
        "en": "Only a picture made from words alone can be edited and made again.",
        "zh": "只有纯文字生成的图片才能修改提示词后重新生成。",
    },
    "delete_done": {"en": "Picture {number} of job {job_id} is deleted.", "zh": "任务 {job_id} 的第 {number} 张图片已删除。"},
    "delete_already": {
        "en": "Picture {number} of job {job_id} was already deleted.",
        "zh": "任务 {job_id} 的第 {number} 张图片已经删除了。",
    },
    "delete_not_yours": {
        "en": "Only the member who made this picture, or a moderator, can delete it.",
        "zh": "只有生成这张图片的成员或管理员才能删除它。",
    },
}


def language(code: str | None) -> str:
    """A platform's language tag (``zh-hans``, ``en-US``, None) → a catalogue language."""
    tag = (code or "").lower()
    return next((lang for lang in LANGUAGES if tag.startswith(lang)), "en")


def text(code: str, lang: str = "en", **values: Any) -> str:
    """One message in ``lang`` (English when that language lacks it). Unknown codes are a programming error."""
    entry = MESSAGES[code]
    return entry.get(lang, entry["en"]).format(**values)


def render(outcome: Any, lang: str = "en") -> str:
    """An outcome (anything with ``code`` and ``values``) as one sentence. ``values["message"]`` picks a more
    precise entry than the code (the code "model" is said as "model_unknown" or "model_unserved"); ``values["note_code"]``
    adds a sentence after it."""
    values = outcome.values
    sentence = text(str(values.get("message", outcome.code)), lang, **_prepared(values, lang))
    note = values.get("note_code")  # a sentence said after this one (code, values), e.g. who pays for a job
    return sentence + text(note[0], lang, **note[1]) if note else sentence


def _prepared(values: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Values that are themselves messages (``*_code`` keys holding (code, values) or None) are rendered in the same
    language first, as ``*_text``; missing optional parts are empty."""
    out: dict[str, Any] = {"suspended_text": "", "granted_text": "", "tier_text": "", **values}
    for key, value in values.items():
        if key.endswith("_code"):
            out[key.removesuffix("_code") + "_text"] = "" if value is None else text(value[0], lang, **value[1])
    if isinstance(values.get("suspended"), Mapping):
        out["suspended_text"] = text("suspended", lang, **values["suspended"])
    return out
