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
    # A picture refused by safety/image_input.py (BadImage's code and values; its str() stays English for logs).
    "image_upload": {"en": "the picture", "zh": "图片"},
    "image_file": {"en": "{name}", "zh": "{name}"},
    "image_formats_either": {"en": "{first} or {last}", "zh": "{first} 或 {last}"},
    "image_formats_one": {"en": "{last}", "zh": "{last}"},
    "image_folder": {"en": "{name_text} is a folder, not a picture file.", "zh": "{name_text} 是一个文件夹，不是图片文件。"},
    "image_not_regular": {
        "en": "{name_text} is not a regular file (a device, pipe or socket); only picture files are read.",
        "zh": "{name_text} 不是普通文件（而是设备、管道或套接字）；只读取图片文件。",
    },
    "image_missing": {"en": "{name_text}: there is no such file.", "zh": "{name_text}：没有这个文件。"},
    "image_denied": {"en": "{name_text} cannot be read: permission denied.", "zh": "无法读取 {name_text}：没有权限。"},
    "image_unreadable": {"en": "{name_text} cannot be read ({reason}).", "zh": "无法读取 {name_text}（{reason}）。"},
    "image_over_size": {
        "en": "{name_text} is larger than the {size} limit for pictures.",
        "zh": "{name_text} 超过了图片大小上限 {size}。",
    },
    "image_wrong_format": {"en": "{name_text} is {known}; send {formats_text}.", "zh": "{name_text} 是 {known} 格式；请发送 {formats_text}。"},
    "image_not_picture": {"en": "{name_text} is not a picture ({formats_text}).", "zh": "{name_text} 不是图片（请发送 {formats_text}）。"},
    "image_frames_mismatch": {
        "en": "{name_text} claims {claimed} animation frame(s) but holds {present}; refused as damaged.",
        "zh": "{name_text} 声称有 {claimed} 帧动画，实际只有 {present} 帧；视为损坏，已拒绝。",
    },
    "image_too_many_pixels": {
        "en": "{name_text} claims to be {width}x{height} pixels, over the limit of {max_side} pixels a side and {megapixels} megapixels; refused without decoding (a possible decompression bomb).",
        "zh": "{name_text} 声称有 {width}x{height} 像素，超过了每边 {max_side} 像素和 {megapixels} 百万像素的上限；未解码即拒绝（可能是解压炸弹）。",
    },
    "image_bomb": {
        "en": "{name_text} decodes to an enormous picture (a decompression bomb); refused.",
        "zh": "{name_text} 解码后是一张巨大的图片（解压炸弹）；已拒绝。",
    },
    "image_damaged": {
        "en": "{name_text} is damaged or truncated and cannot be opened ({reason}).",
        "zh": "{name_text} 已损坏或不完整，无法打开（{reason}）。",
    },
    "image_animation_too_large": {
        "en": "{name_text} is an animation too large to check (over {megapixels} megapixels across its frames).",
        "zh": "{name_text} 是一个过大的动画，无法检查（所有帧合计超过 {megapixels} 百万像素）。",
    },
    "image_too_many_frames": {
        "en": "{name_text} has more than {max_frames} frames; longer animations are not checked.",
        "zh": "{name_text} 超过 {max_frames} 帧；不检查更长的动画。",
    },
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
    "album_first_picture": {
        "en": "I used the album's picture with the caption; its other pictures are left out.",
        "zh": "我使用了相册中带说明的那张图片；其余图片没有使用。",
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
    # Moderation refusals core says itself (core/moderation raises them as Refusal; the CLI reads the English).
    "mod_no_delivered_picture": {"en": "There is no delivered picture {number} in job {job_id}.", "zh": "任务 {job_id} 中没有已发送的第 {number} 张图片。"},
    "mod_no_strike": {"en": "There is no strike #{strike}.", "zh": "没有编号为 #{strike} 的警告。"},
    "mod_no_blocked_picture": {"en": "Job {job_id} has no blocked picture {number} to appeal.", "zh": "任务 {job_id} 没有可申诉的被拦截的第 {number} 张图片。"},
    "mod_appeal_usage": {
        "en": "Appeal a blocked picture with /appeal JOB [N], or a strike with /appeal strike ID.",
        "zh": "申诉被拦截的图片请用 /appeal JOB [N]，申诉警告请用 /appeal strike ID。",
    },
    "mod_nothing_to_appeal": {"en": "There is nothing of yours to appeal yet.", "zh": "你目前没有可以申诉的内容。"},
    "mod_no_picture": {"en": "Job {job_id} has no picture {number}.", "zh": "任务 {job_id} 没有第 {number} 张图片。"},
    "mod_picture_already_approved": {"en": "Picture {number} of job {job_id} is already approved (by {by}).", "zh": "任务 {job_id} 的第 {number} 张图片已经被批准（由 {by}）。"},
    "mod_picture_already_removed": {"en": "Picture {number} of job {job_id} is already removed (by {by}).", "zh": "任务 {job_id} 的第 {number} 张图片已经被移除（由 {by}）。"},
    "mod_ban_needs_reason": {"en": "Say why: a ban needs a reason the member will see.", "zh": "请说明原因：封禁需要一个成员能看到的理由。"},
    "mod_no_open_case": {
        "en": "There is no open report or appeal {ref!r} (see `muralist admin review`).",
        "zh": "没有未处理的举报或申诉 {ref!r}（见 `muralist admin review`）。",
    },
    "mod_appeal_decided_with": {"en": "An appeal is decided with uphold or deny.", "zh": "申诉只能用 uphold（支持）或 deny（驳回）来裁决。"},
    "mod_picture_decided_with": {
        "en": "A picture is decided with approve or remove (or ban the user with `ban`).",
        "zh": "图片只能用 approve（通过）或 remove（删除）来裁决（或用 `ban` 封禁用户）。",
    },
    "mod_not_banned": {"en": "{who_text} is not banned.", "zh": "{who_text} 没有被封禁。"},
    # Refusals safety/moderation.py raises (ModerationError's code and values; its str() stays English for the CLI).
    "mod_own_case": {"en": "Moderators cannot decide their own case; ask another moderator.", "zh": "管理员不能裁决自己的案件；请找另一位管理员。"},
    "appeal_not_yours": {"en": "Only the person it happened to can appeal it.", "zh": "只有当事人本人可以申诉。"},
    "appeal_already_filed": {"en": "You have already appealed this; a moderator will decide once.", "zh": "你已经申诉过了；管理员只会裁决一次。"},
    "mod_bad_duration": {
        "en": "{duration!r} is not a duration: use e.g. 30m, 12h, 7d, 2w or permanent.",
        "zh": "{duration!r} 不是有效的时长：请使用例如 30m、12h、7d、2w 或 permanent。",
    },
    # What core/moderation says when it has done something (returned as Said: English for the CLI, a code for chats).
    "mod_user_number": {"en": "User #{user_id}", "zh": "用户 #{user_id}"},
    "mod_member": {"en": "{label}", "zh": "{label}"},
    "mod_banned_permanently": {"en": "{who_text} is banned permanently.", "zh": "{who_text} 已被永久封禁。"},
    "mod_banned_until": {"en": "{who_text} is banned until {until} UTC.", "zh": "{who_text} 已被封禁，直到 {until} UTC。"},
    "mod_unbanned": {"en": "{who_text} may make pictures again.", "zh": "{who_text} 可以重新生成图片了。"},
    "mod_appeal_upheld_strike": {"en": "Appeal #{appeal} upheld: the strike is removed.", "zh": "申诉 #{appeal} 已支持：该警告已撤销。"},
    "mod_appeal_upheld_refund": {
        "en": "Appeal #{appeal} upheld: the picture's quota is refunded.",
        "zh": "申诉 #{appeal} 已支持：这张图片占用的配额已退还。",
    },
    "mod_appeal_denied": {"en": "Appeal #{appeal} denied.", "zh": "申诉 #{appeal} 已驳回。"},
    "mod_reported": {
        "en": "Thank you: picture {number} of job {job_id} is reported (#{report}); a moderator will look.",
        "zh": "谢谢：任务 {job_id} 的第 {number} 张图片已举报（#{report}）；管理员会查看。",
    },
    "mod_appeal_filed": {"en": "Your appeal #{appeal} is filed; a moderator will decide.", "zh": "你的申诉 #{appeal} 已提交；管理员会裁决。"},
    "link_code_issued": {
        "en": "Your link code is {link}. Within {minutes} minutes, send /link {link} from your account on the other platform to share one quota, licence and history.",
        "zh": "你的关联码是 {link}。请在 {minutes} 分钟内从另一个平台的账号发送 /link {link}，以共享配额、许可协议和历史记录。",
    },
    "link_already": {"en": "These accounts are already linked.", "zh": "这些账号已经关联了。"},
    "link_done": {
        "en": "Linked: your {platform} account now shares one quota, licence and history.",
        "zh": "已关联：你的 {platform} 账号现在共享配额、许可协议和历史记录。",
    },
    "link_undone": {
        "en": "Unlinked: this account has its own quota again; the shared history stays where it was.",
        "zh": "已取消关联：这个账号重新拥有自己的配额；共享的历史记录保留原处。",
    },
    "link_code_unknown": {
        "en": "That link code is unknown, already used or expired; ask for a new one with /link.",
        "zh": "这个关联码无效、已被使用或已过期；请用 /link 获取新的关联码。",
    },
    "link_same_platform": {"en": "Use the code from an account on a different platform.", "zh": "请使用来自另一个平台账号的关联码。"},
    "link_banned": {"en": "A banned account cannot be linked.", "zh": "被封禁的账号不能关联。"},
    "link_not_linked": {"en": "This account is not linked to another one.", "zh": "这个账号没有关联到其他账号。"},
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
    # --- issue 13: job statuses as members read them (history lists) ---------------------------------------------
    "job_status_queued": {"en": "queued", "zh": "排队中"},
    "job_status_running": {"en": "running", "zh": "生成中"},
    "job_status_done": {"en": "done", "zh": "已完成"},
    "job_status_failed": {"en": "failed", "zh": "失败"},
    "job_status_cancelled": {"en": "cancelled", "zh": "已取消"},
    # --- issue 13: the terminal console's help, usage and lists ----------------------------------------------------
    "console_help": {
        "en": "Commands:\n"
              "  /license                 show the model licence (you must accept it once)\n"
              "  /accept                  accept the licence\n"
              "  /imagine <prompt> [--negative TEXT] [--seed N] [--steps N] [--size WxH] [--cfg X] [--count N]\n"
              "           [--style NAME] [--sampler NAME] [--model NAME]\n"
              "           [--image PATH|JOB [--strength 0.6] [--box x,y,w,h | --mask PATH]]\n"
              "                           make pictures; each is printed as the path of a PNG file\n"
              "                           (--image: image-to-image; --box or --mask: repaint that part, white in the mask)\n"
              "  /imagine <prompt> --style-image PATH|JOB [--style-strength 0.6] [flags]\n"
              "                           the style of a reference picture, the content of the prompt\n"
              "                           (IP-Adapter; needs the operator's weights)\n"
              "  /imagine --voice PATH [flags]\n"
              "                           the prompt is what an audio file (at most 60 s) says\n"
              "  /reroll JOB              the same prompt again with a new seed\n"
              "  /variations PATH|JOB [--strength 0.6] [--count 2]\n"
              "                           new pictures close to one picture\n"
              "  /upscale PATH|JOB [--factor 2|4]\n"
              "                           enlarge a picture\n"
              "  /cartoon PATH|JOB [what it shows]\n"
              "                           the picture as a cartoon (image-to-image, style \"cartoon\")\n"
              "  /restore PATH|JOB        restore the faces in a picture (needs the operator's face model)\n"
              "  /cancel JOB              stop a job of yours (refunded)\n"
              "  /styles                  the style presets for --style\n"
              "  /models                  the models for --model\n"
              "  /quota                   pictures used and left today\n"
              "  /history                 your last jobs\n"
              "  /report JOB [N] [why]    report picture N (default 1) of a job to the moderators\n"
              "  /appeal JOB [N] | /appeal strike ID\n"
              "                           ask a moderator to look again at a blocked picture or a strike (once)\n"
              "  /verify PATH             was this picture made here? (reads its invisible mark)\n"
              "  /link [CODE]             get a code here, or enter one from your account on another platform\n"
              "  /unlink                  give this account its own quota again\n"
              "  /prefs [NAME VALUE]      your own defaults for /imagine: style, sampler, size, steps, negative (off unsets)\n"
              "  /settings [NAME VALUE]   this chat's limits (max_steps, max_count, max_size), defaults (style, steps, size),\n"
              "                           nsfw and others_buttons (the console's operator is its admin)\n"
              "  /help                    this text",
        "zh": "命令：\n"
              "  /license                 显示模型许可协议（需要接受一次）\n"
              "  /accept                  接受许可协议\n"
              "  /imagine <提示词> [--negative 文本] [--seed 数字] [--steps 数字] [--size 宽x高] [--cfg 数字] [--count 数字]\n"
              "           [--style 名称] [--sampler 名称] [--model 名称]\n"
              "           [--image 路径|任务 [--strength 0.6] [--box x,y,w,h | --mask 路径]]\n"
              "                           生成图片；每张图片输出为一个 PNG 文件的路径\n"
              "                           （--image：以图生图；--box 或 --mask：重绘该部分，即遮罩中的白色区域）\n"
              "  /imagine <提示词> --style-image 路径|任务 [--style-strength 0.6] [参数]\n"
              "                           采用参考图片的风格、提示词的内容\n"
              "                           （IP-Adapter；需要运营者提供权重）\n"
              "  /imagine --voice 路径 [参数]\n"
              "                           提示词是音频文件（最长 60 秒）中说的话\n"
              "  /reroll 任务             用新的种子重新生成同一提示词\n"
              "  /variations 路径|任务 [--strength 0.6] [--count 2]\n"
              "                           生成与某张图片相近的新图片\n"
              "  /upscale 路径|任务 [--factor 2|4]\n"
              "                           放大图片\n"
              "  /cartoon 路径|任务 [画面内容]\n"
              "                           把图片变成卡通图像（以图生图，风格“cartoon”）\n"
              "  /restore 路径|任务       修复图片中的人脸（需要运营者配置人脸模型）\n"
              "  /cancel 任务             取消你的任务（退还配额）\n"
              "  /styles                  --style 可用的风格预设\n"
              "  /models                  --model 可用的模型\n"
              "  /quota                   今天已用和剩余的图片数\n"
              "  /history                 你最近的任务\n"
              "  /report 任务 [N] [原因]  向管理员举报某个任务的第 N 张图片（默认第 1 张）\n"
              "  /appeal 任务 [N] | /appeal strike 编号\n"
              "                           请管理员复审被拦截的图片或警告（一次）\n"
              "  /verify 路径             这张图片是在这里生成的吗？（读取它的隐形标记）\n"
              "  /link [代码]             在这里获取代码，或输入你在其他平台账号上获得的代码\n"
              "  /unlink                  让这个账号重新使用自己的配额\n"
              "  /prefs [名称 值]         你自己在 /imagine 中的默认值：style、sampler、size、steps、negative（off 取消）\n"
              "  /settings [名称 值]      本聊天的上限（max_steps、max_count、max_size）、默认值（style、steps、size），\n"
              "                           以及 nsfw 和 others_buttons（控制台的运营者就是它的管理员）\n"
              "  /help                    显示本说明",
    },
    "console_not_command": {
        "en": "Commands start with a slash: try /imagine a red fox in the snow, or /help.",
        "zh": "命令以斜杠开头：试试 /imagine 雪地里的红狐狸，或输入 /help。",
    },
    "console_unknown": {
        "en": "Unknown command {command}; type /help for the list.",
        "zh": "未知命令 {command}；输入 /help 查看命令列表。",
    },
    "console_verify_usage": {"en": "Say which picture: /verify PATH.", "zh": "请说明是哪张图片：/verify 路径。"},
    "console_variations_usage": {
        "en": "Use /variations PATH|JOB [--strength 0.6] [--count 2].",
        "zh": "用法：/variations 路径|任务 [--strength 0.6] [--count 2]。",
    },
    "console_upscale_usage": {"en": "Use /upscale PATH|JOB [--factor 2|4].", "zh": "用法：/upscale 路径|任务 [--factor 2|4]。"},
    "console_cartoon_usage": {"en": "Use /cartoon PATH|JOB [what it shows].", "zh": "用法：/cartoon 路径|任务 [画面内容]。"},
    "console_restore_usage": {"en": "Use /restore PATH|JOB.", "zh": "用法：/restore 路径|任务。"},
    "console_history_line": {
        "en": "{job_id}  {created}  {status} {count} pic  {prompt}",
        "zh": "{job_id}  {created}  {status} {count} 张  {prompt}",
    },
    "console_model_line": {
        "en": "{name} {size}px, {steps} steps, licence {licence}",
        "zh": "{name} {size}px，{steps} 步，许可协议 {licence}",
    },
    "console_model_unserved": {"en": "  (no worker serving it now)", "zh": "（目前没有工作进程在运行）"},
    # --- issue 13: command descriptions (Discord slash commands and their options, Telegram's command menu) --------
    # Discord allows at most 100 characters per description or choice name; tests/unit/test_i18n_coverage.py checks.
    "cmd_start": {"en": "Welcome and the model licence", "zh": "欢迎信息和模型许可协议"},
    "cmd_imagine": {"en": "Make pictures from a prompt", "zh": "根据提示词生成图片"},
    "opt_imagine_prompt": {"en": "What to draw", "zh": "要画什么"},
    "opt_imagine_negative": {"en": "What to keep out", "zh": "不要出现的内容"},
    "opt_imagine_size": {"en": "WIDTHxHEIGHT, e.g. 512x512", "zh": "宽x高，例如 512x512"},
    "opt_imagine_steps": {"en": "Denoising steps", "zh": "去噪步数"},
    "opt_imagine_seed": {"en": "Seed for a repeatable picture", "zh": "种子：用同一个种子可以得到同样的图片"},
    "opt_imagine_count": {"en": "Pictures (1-4)", "zh": "图片数量（1-4）"},
    "opt_imagine_cfg": {"en": "Guidance scale", "zh": "引导系数（CFG）"},
    "opt_imagine_image": {"en": "A picture to start from (image-to-image)", "zh": "作为起点的图片（以图生图）"},
    "opt_imagine_strength": {"en": "How far from the picture to go, 0.05-1", "zh": "与原图的偏离程度，0.05-1"},
    "opt_imagine_model": {"en": "Which model (default: the first)", "zh": "使用哪个模型（默认：第一个）"},
    "opt_imagine_style": {"en": "A style preset (see /styles)", "zh": "风格预设（见 /styles）"},
    "opt_imagine_sampler": {"en": "The scheduler that denoises", "zh": "去噪使用的采样器"},
    "opt_imagine_style_image": {"en": "A picture whose style to take (IP-Adapter)", "zh": "借用其风格的图片（IP-Adapter）"},
    "opt_imagine_style_strength": {"en": "How much of its style, 0.05-1 (default 0.6)", "zh": "风格的强度，0.05-1（默认 0.6）"},
    "opt_imagine_voice": {
        "en": "Say the prompt: a recording (OGG, MP3, WAV, up to 60 s) instead of typing it",
        "zh": "说出提示词：上传一段录音（OGG、MP3、WAV，最长 60 秒）代替打字",
    },
    "cmd_verify": {"en": "Was this picture made here? Reads its invisible mark", "zh": "这张图片是在这里生成的吗？读取它的隐形标记"},
    "opt_verify_picture": {"en": "The picture to check", "zh": "要检查的图片"},
    "cmd_license": {"en": "Read the model licence and accept it", "zh": "阅读并接受模型许可协议"},
    "cmd_accept": {"en": "Accept the model licence", "zh": "接受模型许可协议"},
    "cmd_quota": {"en": "Pictures used and left", "zh": "已用和剩余的图片数"},
    "cmd_cancel": {"en": "Stop one of your jobs (its pictures are refunded)", "zh": "取消你的一个任务（退还配额）"},
    "cmd_history": {"en": "Your last jobs", "zh": "你最近的任务"},
    "cmd_help": {"en": "What this bot can do", "zh": "这个机器人能做什么"},
    "cmd_styles": {"en": "The style presets for /imagine style:", "zh": "/imagine 的 style 选项可用的风格预设"},
    "cmd_models": {"en": "The models for /imagine model:", "zh": "/imagine 的 model 选项可用的模型"},
    "cmd_reroll": {"en": "The same prompt again with a new seed", "zh": "用新的种子重新生成同一提示词"},
    "opt_job_id": {"en": "The job id (in the picture's caption)", "zh": "任务编号（见图片说明）"},
    "cmd_variations": {"en": "New pictures close to one picture", "zh": "生成与某张图片相近的新图片"},
    "opt_picture_ref": {"en": "JOB or JOB:N (picture N of the job)", "zh": "任务 或 任务:N（该任务的第 N 张图片）"},
    "opt_variations_strength": {"en": "How far to go, 0.05-1 (0.6)", "zh": "偏离程度，0.05-1（默认 0.6）"},
    "opt_variations_count": {
        "en": "Pictures (2, or fewer where the channel allows fewer)",
        "zh": "图片数量（默认 2，频道限制更少时取其上限）",
    },
    "cmd_upscale": {"en": "Enlarge a picture", "zh": "放大图片"},
    "opt_upscale_factor": {"en": "2 or 4 times", "zh": "放大 2 倍或 4 倍"},
    "cmd_cartoon": {"en": "A picture as a cartoon", "zh": "把图片变成卡通图像"},
    "opt_cartoon_picture": {"en": "A picture to turn into a cartoon", "zh": "要变成卡通的图片"},
    "opt_picture_job": {"en": "Or a picture made here: JOB or JOB:N", "zh": "或者在这里生成的图片：任务 或 任务:N"},
    "opt_cartoon_prompt": {"en": "What it shows (optional)", "zh": "画面内容（可选）"},
    "cmd_restore": {"en": "Restore the faces in a picture", "zh": "修复图片中的人脸"},
    "opt_restore_picture": {"en": "A picture whose faces to restore", "zh": "要修复人脸的图片"},
    "cmd_report": {"en": "Report a picture to the moderators", "zh": "向管理员举报图片"},
    "opt_report_number": {"en": "Which picture of the job (1)", "zh": "该任务的第几张图片（默认 1）"},
    "opt_report_reason": {"en": "Why", "zh": "原因"},
    "cmd_appeal": {"en": "Ask once for a second look at a blocked picture or a strike", "zh": "对被拦截的图片或警告申请一次复审"},
    "opt_appeal_target": {"en": "JOB [N] for a blocked picture, or strike ID", "zh": "被拦截的图片：任务 [N]；警告：strike 编号"},
    "cmd_link": {"en": "One quota across platforms: get a code, or enter one", "zh": "跨平台共享配额：获取或输入代码"},
    "opt_link_code": {
        "en": "A code from your account on another platform (leave empty to get one here)",
        "zh": "你在其他平台账号上获得的代码（留空则在这里获取）",
    },
    "cmd_unlink": {"en": "Give this account its own quota again", "zh": "让这个账号重新使用自己的配额"},
    "cmd_settings": {"en": "This channel's limits and defaults (moderators)", "zh": "本频道的上限和默认值（管理员）"},
    "opt_settings_setting": {"en": "What to change (leave empty to see every setting)", "zh": "要修改什么（留空查看所有设置）"},
    # Discord allows 100 characters: the full list of values is in the answer to a bare /settings.
    "opt_settings_value": {
        "en": "others_buttons: anyone|owner; limits and steps: a number; size: WxH; style: a name; off unsets",
        "zh": "others_buttons：anyone|owner；上限和步数：数字；size：宽x高；style：名称；off 取消设置",
    },
    "cmd_prefs": {"en": "Your own defaults for /imagine", "zh": "你自己在 /imagine 中的默认值"},
    "opt_prefs_setting": {"en": "What to set (leave empty to see your defaults)", "zh": "要设置什么（留空查看你的默认值）"},
    "opt_prefs_value": {
        "en": "style/sampler: a name; size: WxH; steps: a number; negative: text; off unsets it",
        "zh": "style/sampler：名称；size：宽x高；steps：数字；negative：文本；off 取消设置",
    },
    "cmd_mod": {"en": "Moderator tools", "zh": "管理员工具"},
    "cmd_mod_setup": {"en": "Choose this server's moderators' channel", "zh": "选择本服务器的管理员频道"},
    "opt_mod_setup_channel": {"en": "Where reports and pictures for review go", "zh": "举报和待审核图片发送到哪里"},
    "cmd_mod_ban": {"en": "Ban a member from making pictures", "zh": "禁止成员生成图片"},
    "opt_member": {"en": "The member", "zh": "成员"},
    "opt_ban_duration": {"en": "30m, 12h, 7d, 2w or permanent", "zh": "30m、12h、7d、2w 或 permanent（永久）"},
    "opt_ban_reason": {"en": "Why (the member reads it)", "zh": "原因（成员会看到）"},
    "cmd_mod_unban": {"en": "Lift a ban", "zh": "解除封禁"},
    "cmd_mod_web": {
        "en": "A one-time link to the moderation web console for this channel",
        "zh": "本频道审核网页控制台的一次性登录链接",
    },
    "cmd_mod_history": {"en": "A member's moderation history", "zh": "成员的审核记录"},
    # --- issue 13: Discord's private choice of ban durations under a moderators' post --------------------------
    "ban_choice_1d": {"en": "1 day", "zh": "1 天"},
    "ban_choice_7d": {"en": "7 days", "zh": "7 天"},
    "ban_choice_30d": {"en": "30 days", "zh": "30 天"},
    "ban_choice_permanent": {"en": "Permanent", "zh": "永久"},
    # --- issue 13: the moderation web console's pages -------------------------------------------------------------
    "web_title": {"en": "muralist moderation", "zh": "muralist 审核"},
    "web_page_title": {"en": "{page} · muralist", "zh": "{page} · muralist"},
    "web_nav_queue": {"en": "Review queue", "zh": "待审核队列"},
    "web_nav_filed": {"en": "Reports & appeals", "zh": "举报与申诉"},
    "web_nav_audit": {"en": "Audit log", "zh": "审计日志"},
    "web_nav_dashboard": {"en": "Dashboard", "zh": "仪表盘"},
    "web_operator": {"en": "operator (all chats)", "zh": "运营者（所有聊天）"},
    "web_sign_out": {"en": "Sign out", "zh": "退出登录"},
    "web_login_intro": {
        "en": "Sign in to the moderation console. The link works once.",
        "zh": "登录审核控制台。此链接只能使用一次。",
    },
    "web_sign_in": {"en": "Sign in", "zh": "登录"},
    "web_waiting": {"en": "({count} waiting)", "zh": "（{count} 个等待中）"},
    "web_keys_hint": {
        "en": "Pictures are blurred until you hover or click them. Keys: {j}/{k} next/previous, {a} approve, {r} remove, "
              "{b} remove and ban for a day.",
        "zh": "图片在鼠标悬停或点击之前是模糊的。快捷键：{j}/{k} 下一个/上一个，{a} 通过，{r} 删除，{b} 删除并封禁一天。",
    },
    "web_queue_empty": {"en": "Nothing waits for review.", "zh": "没有等待审核的图片。"},
    "web_click_to_show": {"en": "Click to show", "zh": "点击显示"},
    "web_picture_alt": {"en": "picture {number} of job {job_id}", "zh": "任务 {job_id} 的第 {number} 张图片"},
    "web_no_file": {"en": "no file", "zh": "没有文件"},
    "web_negative": {"en": "negative: {prompt}", "zh": "反向提示词：{prompt}"},
    "web_picture_score": {"en": "picture nsfw {score} ({decision})", "zh": "图片 NSFW {score}（{decision}）"},
    "web_prompt_score": {"en": "prompt {category} {score}", "zh": "提示词 {category} {score}"},
    "web_flagged": {"en": "flagged {categories}", "zh": "标记：{categories}"},
    "web_direct": {"en": "direct", "zh": "私聊"},
    "web_job_picture": {"en": "job {job_id} #{number}", "zh": "任务 {job_id} 第 {number} 张"},
    "web_job": {"en": "job {job_id}", "zh": "任务 {job_id}"},
    "web_at_utc": {"en": "{at} UTC", "zh": "{at} UTC"},
    "web_ban_reason_default": {"en": "A picture against the rules", "zh": "违反规则的图片"},
    "web_ban_reason_label": {"en": "Ban reason", "zh": "封禁原因"},
    "web_ban_reason_placeholder": {"en": "Reason the member will see", "zh": "成员会看到的原因"},
    "web_ban_1d": {"en": "Ban 1 day", "zh": "封禁 1 天"},
    "web_ban_7d": {"en": "Ban 7 days", "zh": "封禁 7 天"},
    "web_ban_30d": {"en": "Ban 30 days", "zh": "封禁 30 天"},
    "web_ban_permanent": {"en": "Ban forever", "zh": "永久封禁"},
    "web_filter_action": {"en": "action", "zh": "操作"},
    "web_filter_any": {"en": "any", "zh": "全部"},
    "web_filter_by": {"en": "by", "zh": "操作者"},
    "web_filter_member": {"en": "member #", "zh": "成员编号"},
    "web_filter": {"en": "Filter", "zh": "筛选"},
    "web_col_when": {"en": "when (UTC)", "zh": "时间（UTC）"},
    "web_col_what": {"en": "what", "zh": "操作"},
    "web_col_by": {"en": "by", "zh": "操作者"},
    "web_col_member": {"en": "member", "zh": "成员"},
    "web_col_about": {"en": "about", "zh": "对象"},
    "web_col_reason": {"en": "reason", "zh": "原因"},
    "web_col_job": {"en": "job", "zh": "任务"},
    "web_col_status": {"en": "status", "zh": "状态"},
    "web_col_pictures": {"en": "pictures", "zh": "图片数"},
    "web_col_chat": {"en": "chat", "zh": "聊天"},
    "web_col_prompt": {"en": "prompt", "zh": "提示词"},
    "web_until": {"en": " (until {until})", "zh": "（直到 {until}）"},
    "web_nothing_matches": {"en": "Nothing matches.", "zh": "没有匹配的记录。"},
    "web_older": {"en": "Older →", "zh": "更早 →"},
    "web_your_chats": {"en": "your chats", "zh": "你的聊天"},
    "web_chart_alt": {"en": "{name} chart", "zh": "{name} 图表"},
    "web_filed_heading": {"en": "Reports and appeals", "zh": "举报与申诉"},
    "web_open": {"en": "({count} open)", "zh": "（{count} 个未处理）"},
    "web_filed_empty": {"en": "No open reports or appeals.", "zh": "没有未处理的举报或申诉。"},
    "web_reported_picture": {"en": "reported picture", "zh": "被举报的图片"},
    "web_blocked_no_file": {"en": "blocked: no file", "zh": "已拦截：没有文件"},
    "web_strike": {"en": "strike", "zh": "警告"},
    "web_filed_by": {"en": "by {actor}", "zh": "提交者 {actor}"},
    "web_filed_about": {"en": "about {member}", "zh": "关于 {member}"},
    "web_no_reason": {"en": "(no reason given)", "zh": "（未说明原因）"},
    "web_appeal_of_strike": {"en": "appeal of strike #{id}", "zh": "对警告 #{id} 的申诉"},
    "web_uphold": {"en": "Uphold", "zh": "支持申诉"},
    "web_deny": {"en": "Deny", "zh": "驳回"},
    "web_user_number": {"en": "user #{id}", "zh": "用户 #{id}"},
    "web_accounts": {"en": "Accounts:", "zh": "账号："},
    "web_ban": {"en": "Ban:", "zh": "封禁："},
    "web_not_banned": {"en": "not banned", "zh": "未被封禁"},
    "web_banned_until": {"en": "banned until {until} UTC by {by}", "zh": "被 {by} 封禁，直到 {until} UTC"},
    "web_banned_forever": {"en": "banned permanently by {by}", "zh": "被 {by} 永久封禁"},
    "web_reason_suffix": {"en": ": {reason}", "zh": "：{reason}"},
    "web_active_strikes": {"en": "Active strikes:", "zh": "有效警告："},
    "web_quota": {"en": "Quota:", "zh": "配额："},
    "web_quota_line": {
        "en": "{used} used of {limit}{granted_text} ({tier}, per {window}); {left} left; {queued} waiting",
        "zh": "已用 {used}/{limit}{granted_text}（{tier}，每 {window}）；剩余 {left}；{queued} 个等待中",
    },
    "web_quota_granted": {"en": " + {granted} granted", "zh": " + {granted} 赠送"},
    "web_appeals": {"en": "Appeals:", "zh": "申诉："},
    "web_unban": {"en": "Unban", "zh": "解除封禁"},
    "web_history": {"en": "History", "zh": "历史"},
    "web_jobs": {"en": "Jobs", "zh": "任务"},
    "web_jobs_in_your_chats": {"en": "Jobs in your chats", "zh": "你的聊天中的任务"},
    "web_no_jobs": {"en": "No jobs.", "zh": "没有任务。"},
    "web_form_too_large": {"en": "Form too large or without a length.", "zh": "表单太大或没有注明长度。"},
    "chart_jobs": {"en": "Jobs per hour, last 24 h (UTC)", "zh": "每小时任务数，最近 24 小时（UTC）"},
    "chart_verdicts": {"en": "Verdicts per category, last 7 days", "zh": "各类别的判定，最近 7 天"},
    "chart_backlog": {
        "en": "Time to decision (median {median}); waiting now: {waiting}",
        "zh": "做出决定所用时间（中位数 {median}）；当前等待：{waiting}",
    },
    "chart_minutes": {"en": "{minutes} min", "zh": "{minutes} 分钟"},
    "chart_no_decisions": {"en": "no decisions yet", "zh": "还没有决定"},
    "chart_backlog_axis": {"en": "minutes from picture to decision", "zh": "从生成图片到做出决定的分钟数"},
    "chart_refusals": {"en": "Refusals by reason, last 7 days", "zh": "按原因统计的拒绝，最近 7 天"},
    "chart_none": {"en": "(none)", "zh": "（无）"},
    "chart_allow": {"en": "allow", "zh": "放行"},
    "chart_review": {"en": "review", "zh": "待审核"},
    "chart_block": {"en": "block", "zh": "拦截"},
    # --- issue 13: request checks (core.params, core.command_syntax): InvalidParams says one of these -----------------
    "params_ar_shape": {"en": "--ar takes a shape like 3:2 or 16:9, at most 4:1.", "zh": "--ar 需要 3:2 或 16:9 这样的比例，最多 4:1。"},
    "params_ar_format": {
        "en": "--ar needs a shape like 3:2 or 16:9, not {raw!r}.",
        "zh": "--ar 需要 3:2 或 16:9 这样的比例，而不是 {raw!r}。",
    },
    "params_box_format": {
        "en": "--box needs x,y,w,h in pixels, e.g. 16,16,64,64, not {box!r}.",
        "zh": "--box 需要以像素为单位的 x,y,w,h，例如 16,16,64,64，而不是 {box!r}。",
    },
    "params_box_outside": {
        "en": "The box {box} does not fit inside the {width}x{height} picture.",
        "zh": "区域 {box} 超出了 {width}x{height} 的图片范围。",
    },
    "params_prompt_control": {
        "en": "The prompt contains a control character; remove it and try again.",
        "zh": "提示词包含控制字符；请删除后重试。",
    },
    "params_negative_control": {
        "en": "The negative prompt contains a control character; remove it and try again.",
        "zh": "反向提示词包含控制字符；请删除后重试。",
    },
    "params_prompt_broken": {
        "en": "The prompt contains broken text (not valid Unicode); retype it and try again.",
        "zh": "提示词包含损坏的文字（不是有效的 Unicode）；请重新输入后重试。",
    },
    "params_negative_broken": {
        "en": "The negative prompt contains broken text (not valid Unicode); retype it and try again.",
        "zh": "反向提示词包含损坏的文字（不是有效的 Unicode）；请重新输入后重试。",
    },
    "params_style_unknown": {
        "en": "Unknown style {style!r}; styles: {styles} (see /styles).",
        "zh": "没有风格 {style!r}；可用风格：{styles}（见 /styles）。",
    },
    "params_prompt_empty": {
        "en": "The prompt is empty: describe the picture after /imagine.",
        "zh": "提示词是空的：请在 /imagine 后面描述图片。",
    },
    "params_prompt_long": {
        "en": "The prompt is {length} characters long; the limit is {limit}.",
        "zh": "提示词长 {length} 个字符；上限是 {limit}。",
    },
    "params_negative_long": {
        "en": "The negative prompt is {length} characters long; the limit is {limit}.",
        "zh": "反向提示词长 {length} 个字符；上限是 {limit}。",
    },
    "params_sampler_unknown": {
        "en": "Unknown sampler {sampler!r}; samplers: {samplers}.",
        "zh": "没有采样器 {sampler!r}；可用采样器：{samplers}。",
    },
    "params_input_unreadable": {"en": "The input picture could not be read.", "zh": "无法读取输入图片。"},
    "params_box_needs_image": {
        "en": "--box and --mask repaint part of a picture: give the picture with --image.",
        "zh": "--box 和 --mask 用于重绘图片的一部分：请用 --image 指定图片。",
    },
    "params_box_or_mask": {"en": "Use --box or --mask, not both.", "zh": "请使用 --box 或 --mask，不要同时使用。"},
    "params_strength": {
        "en": "--strength (0.05 to 1) applies to an input picture given with --image.",
        "zh": "--strength（0.05 到 1）只适用于用 --image 指定的输入图片。",
    },
    "params_ar_or_size": {"en": "Use --ar or --size, not both.", "zh": "请使用 --ar 或 --size，不要同时使用。"},
    "params_width_grid": {
        "en": "The width {side} is not a multiple of 8; try {suggestion}.",
        "zh": "宽度 {side} 不是 8 的倍数；试试 {suggestion}。",
    },
    "params_height_grid": {
        "en": "The height {side} is not a multiple of 8; try {suggestion}.",
        "zh": "高度 {side} 不是 8 的倍数；试试 {suggestion}。",
    },
    "params_width_range": {
        "en": "The width must be between {low} and {high} pixels.",
        "zh": "宽度必须在 {low} 到 {high} 像素之间。",
    },
    "params_height_range": {
        "en": "The height must be between {low} and {high} pixels.",
        "zh": "高度必须在 {low} 到 {high} 像素之间。",
    },
    "params_too_many_pixels": {
        "en": "{width}x{height} is larger than this model allows ({limit} pixels, e.g. {side}x{side}).",
        "zh": "{width}x{height} 超出了这个模型允许的大小（{limit} 像素，例如 {side}x{side}）。",
    },
    "params_steps_range": {"en": "Steps must be between 1 and {limit}.", "zh": "步数必须在 1 到 {limit} 之间。"},
    "params_cfg_range": {
        "en": "The guidance scale (--cfg) must be between {low} and {high}.",
        "zh": "引导系数（--cfg）必须在 {low} 到 {high} 之间。",
    },
    "params_count_range": {
        "en": "The picture count must be between 1 and {limit}.",
        "zh": "图片数量必须在 1 到 {limit} 之间。",
    },
    "params_seed_range": {
        "en": "The seed must be a whole number between 0 and {limit}.",
        "zh": "种子必须是 0 到 {limit} 之间的整数。",
    },
    "params_seed_whole": {"en": "The seed must be a whole number.", "zh": "种子必须是整数。"},
    "params_no_denoising": {
        "en": "With --strength {strength} and {steps} steps no denoising step would run; raise --steps or --strength.",
        "zh": "--strength 为 {strength}、步数为 {steps} 时不会运行任何去噪步骤；请提高 --steps 或 --strength。",
    },
    "params_upscale_factor": {"en": "Upscale by 2 or 4.", "zh": "只能放大 2 倍或 4 倍。"},
    "params_upscale_which": {
        "en": "Say which picture to enlarge: a job id or a PNG/JPEG/WebP file.",
        "zh": "请说明要放大哪张图片：任务编号或 PNG/JPEG/WebP 文件。",
    },
    "params_upscale_too_large": {
        "en": "{width_in}x{height_in} ×{factor} would be {width}x{height}; the limit is {limit} pixels a side.",
        "zh": "{width_in}x{height_in} 放大 {factor} 倍后是 {width}x{height}；每边上限为 {limit} 像素。",
    },
    "params_restore_which": {
        "en": "Say which picture's faces to restore: a job id or a PNG/JPEG/WebP file.",
        "zh": "请说明要修复哪张图片的人脸：任务编号或 PNG/JPEG/WebP 文件。",
    },
    "params_flag_int": {"en": "--{flag} needs a whole number, not {raw!r}.", "zh": "--{flag} 需要一个整数，而不是 {raw!r}。"},
    "params_flag_number": {"en": "--{flag} needs a number, not {raw!r}.", "zh": "--{flag} 需要一个数字，而不是 {raw!r}。"},
    "params_flag_finite": {"en": "--{flag} needs a finite number.", "zh": "--{flag} 需要一个有限的数字。"},
    "params_size_format": {
        "en": "--size needs WIDTHxHEIGHT, e.g. 512x512, not {raw!r}.",
        "zh": "--size 需要 宽x高，例如 512x512，而不是 {raw!r}。",
    },
    "params_flag_unknown": {"en": "Unknown option --{flag}. Options: {options}.", "zh": "未知选项 --{flag}。可用选项：{options}。"},
    "params_flag_twice": {"en": "--{flag} is given twice.", "zh": "--{flag} 重复给出了。"},
    "params_flag_value": {"en": "--{flag} needs a value.", "zh": "--{flag} 需要一个值。"},
    "params_which_picture": {"en": "Say which picture.", "zh": "请说明是哪张图片。"},
    "params_style_strength_alone": {
        "en": "--style-strength applies to a style reference picture given with --style-image.",
        "zh": "--style-strength 只适用于用 --style-image 指定的风格参考图片。",
    },
    "params_style_image_repaint": {
        "en": "--style-image works with a prompt alone or with --image, not with --box or --mask.",
        "zh": "--style-image 可以单独配合提示词或配合 --image 使用，不能与 --box 或 --mask 一起使用。",
    },
    "params_style_strength_range": {
        "en": "--style-strength must be between {low} and {high}.",
        "zh": "--style-strength 必须在 {low} 到 {high} 之间。",
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


def said(code: str, lang: str, values: Mapping[str, Any]) -> str:
    """One message whose values may hold parts that are messages themselves (``*_code``, as :func:`render` takes)."""
    return text(code, lang, **_prepared(values, lang))


def render(outcome: Any, lang: str = "en") -> str:
    """An outcome (anything with ``code`` and ``values``) as one sentence. ``values["message"]`` picks a more
    precise entry than the code (the code "model" is said as "model_unknown" or "model_unserved"); ``values["note_code"]``
    adds a sentence after it."""
    values = outcome.values
    sentence = said(str(values.get("message", outcome.code)), lang, values)
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
